from django.db import models
from django.db.models import F
from django.db.models.functions import Lower

LIST_MODEL = "lists.MailingList"

ROLES = [("owner", "owner"), ("moderator", "moderator"), ("member", "member"), ("nonmember", "non-member")]
NONMEMBER_ACTIONS = [("defer", "the list's default"), ("accept", "accept"), ("hold", "hold"), ("reject", "reject"),
                     ("discard", "discard")]  # fmt: skip
DELIVERY_MODES = [("regular", "each post"), ("mime_digest", "MIME digest"), ("plain_digest", "plain digest"),
                  ("nomail", "no mail")]  # fmt: skip
DELIVERY_STATUSES = [("enabled", "enabled"), ("by_user", "disabled by the member"),
                     ("by_bounces", "disabled by bounces"), ("by_owner", "disabled by an owner")]  # fmt: skip


class Member(models.Model):
    """An address's role on a list. One address may hold several roles (one row each): an owner
    who also receives the posts is an owner row and a member row.

    `address` keeps the local part as written and the domain lower-cased (lists/addresses.py):
    lookups compare it exactly. A non-member row exists only to give an address its own
    `action`; every other sender is a non-member with the list's default."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="members")
    address = models.CharField(max_length=320)
    display_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=ROLES, default="member")
    moderated = models.BooleanField(default=False, help_text="posts of this member are moderated")
    action = models.CharField(max_length=10, choices=NONMEMBER_ACTIONS, default="defer",
                              help_text="non-members: what becomes of their posts")  # fmt: skip
    delivery_mode = models.CharField(max_length=12, choices=DELIVERY_MODES, default="regular")
    delivery_status = models.CharField(max_length=10, choices=DELIVERY_STATUSES, default="enabled")
    disabled_reason = models.CharField(max_length=300, blank=True)
    receive_own_posts = models.BooleanField(default=True)
    acknowledge_posts = models.BooleanField(default=False)
    hide_address = models.BooleanField(default=False)
    bounce_score = models.FloatField(default=0.0)
    last_bounce = models.DateField(null=True, blank=True, help_text="day of the last bounce counted")
    bounce_disabled_at = models.DateTimeField(null=True, blank=True, help_text="when bounces disabled delivery")
    bounce_warnings_sent = models.PositiveSmallIntegerField(default=0)
    bounce_next_step = models.DateTimeField(null=True, blank=True,
                                            help_text="disabled by bounces: when the next warning (or the removal) is due")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mailing_list", "role", "address"]
        constraints = [models.UniqueConstraint(fields=["mailing_list", "address", "role"], name="member_role_once")]
        # The roster search (web/manage/members.py): a case-insensitive prefix of the address or the
        # name, within one list, answered from an index instead of a scan of every member.
        indexes = [models.Index(fields=["address"], name="member_address"),
                   models.Index(F("mailing_list"), Lower("address"), name="member_address_ci"),
                   models.Index(F("mailing_list"), Lower("display_name"), name="member_name_ci")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.address} ({self.role})"

    @property
    def receives_posts(self) -> bool:
        return self.role == "member" and self.delivery_mode == "regular" and self.delivery_status == "enabled"


class Ban(models.Model):
    """An address (or ^regex) that may not post: on one list, or everywhere when `mailing_list` is null."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="bans")  # fmt: skip
    pattern = models.CharField(max_length=320, help_text="an address, or a regex starting with ^")
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pattern"]
        constraints = [models.UniqueConstraint(fields=["mailing_list", "pattern"], name="ban_once")]

    def __str__(self) -> str:
        return self.pattern
