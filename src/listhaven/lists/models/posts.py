from django.db import models

from listhaven.lists.models.member import LIST_MODEL

VERDICTS = [("accept", "accepted"), ("hold", "held"), ("reject", "rejected"), ("discard", "discarded")]


class PostRecord(models.Model):
    """Every decision about a post: the verdict, the rule that gave it and why. One row when a
    post arrives, one more when a moderator decides a held post. `digest` (sha256 of the bytes
    received) lets the MTA's retry of a post already decided be answered without deciding twice."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="post_records")
    message_id = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    verdict = models.CharField(max_length=10, choices=VERDICTS)
    rule = models.CharField(max_length=40)
    reason = models.TextField(blank=True)
    origin = models.CharField(max_length=20, default="lmtp", help_text="lmtp, cli, moderator")
    digest = models.CharField(max_length=64, blank=True)
    held = models.ForeignKey("lists.HeldMessage", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="records")  # fmt: skip
    archived = models.ForeignKey("archive.Message", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["mailing_list", "digest"], name="postrecord_digest")]


class HeldMessage(models.Model):
    """A post waiting for a moderator: the bytes as received, and why it waits. Deleted once decided
    (the decision stays in PostRecord)."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="held_messages")
    data = models.BinaryField(help_text="the bytes received, zstd-compressed")
    size = models.PositiveIntegerField(default=0)
    envelope_sender = models.CharField(max_length=320, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    message_id = models.CharField(max_length=998, blank=True)
    rule = models.CharField(max_length=40)
    reason = models.TextField()
    held_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    deferred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["expires_at"], name="held_expiry")]

    def __str__(self) -> str:
        return f"#{self.pk} from {self.sender}: {self.subject}"


INCOMING_ROLES = [("owner", "-owner"), ("bounces", "-bounces"), ("request", "-request"), ("join", "-join"),
                  ("leave", "-leave"), ("confirm", "-confirm")]  # fmt: skip


class IncomingMail(models.Model):
    """Mail to one of a list's service addresses, kept until its handler (bounces, commands,
    confirmations) processes it. `recipient` keeps the detail (VERP address, token)."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="incoming")
    role = models.CharField(max_length=10, choices=INCOMING_ROLES)
    recipient = models.CharField(max_length=500)
    envelope_sender = models.CharField(max_length=320, blank=True)
    data = models.BinaryField(help_text="the bytes received, zstd-compressed")
    size = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="what processing did")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["role", "processed"], name="incoming_todo")]
