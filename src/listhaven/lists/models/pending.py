from django.db import models

from listhaven.lists.models.member import LIST_MODEL

PURPOSES = [
    ("subscribe", "the address confirms its subscription"),
    ("unsubscribe", "the address confirms it leaves"),
    ("invite", "the address accepts an owner's invitation"),
    ("approve_subscribe", "an owner approves a subscription"),
    ("approve_unsubscribe", "an owner approves a departure"),
    ("options", "a one-time link to the member's options page"),
    ("change_address", "the new address confirms a member's change of address"),
    ("held_post", "a moderator decides a held post"),
]


class Pending(models.Model):
    """Something waiting for the holder of a token: a confirmation, an approval, a one-time link.

    Only the SHA-256 of the token is stored (a copy of the database confirms nothing); the token itself
    is in the mail sent for it. Single use: `used_at` is set by the one update that acts on it."""

    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, choices=PURPOSES)
    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="pending")
    address = models.CharField(max_length=320, help_text="the address it is about (canonical)")
    payload = models.JSONField(default=dict, blank=True, help_text="display name, delivery mode, origin, ...")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["mailing_list", "purpose", "address"], name="pending_what"),
                   models.Index(fields=["expires_at"], name="pending_expiry")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.purpose} {self.address} on list {self.mailing_list_id}"


DECISIONS = [
    ("approve", "approved"),
    ("refuse", "refused, the address told"),
    ("discard", "discarded, the address not told"),
]


class RequestDecision(models.Model):
    """An owner's decision on a request to join or leave (the requests page, the token API, a reply
    to the approval notice): who decided what, when and why, and what came of it. The Pending row
    it decided is deleted a day later; this stays, as the list's record of who was let in or turned
    away, until the address is erased (lists/erasure.py deletes its rows)."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="request_decisions")
    address = models.CharField(max_length=320, help_text="the address that asked (canonical)")
    asks_to = models.CharField(max_length=5, help_text="join or leave")
    decision = models.CharField(max_length=10, choices=DECISIONS)
    outcome = models.CharField(max_length=40, help_text="what came of it: subscribed, refused, banned meanwhile…")
    reason = models.TextField(blank=True)
    decided_by = models.CharField(max_length=320, help_text="the account's address, or how it came (a reply by mail)")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["mailing_list", "decided_at"], name="request_decision_list")]

    def __str__(self) -> str:
        return f"{self.decision} {self.asks_to} {self.address} on list {self.mailing_list_id}"
