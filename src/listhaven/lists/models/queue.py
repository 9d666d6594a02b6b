from django.db import models

from listhaven.lists.models.member import LIST_MODEL

OUTGOING_KINDS = [("post", "a post to the members"), ("notice", "a notice from the list"),
                  ("owner", "mail to the owners, forwarded")]  # fmt: skip


class Outgoing(models.Model):
    """Mail waiting to leave: one message (`template`) for `recipients`. Created inside the
    transaction that decided to send it, so a post is never acknowledged without its copies.
    `personalised`: one copy per recipient with the personalisation markers filled in; otherwise
    the template goes out as it is, many recipients per SMTP transaction."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="outgoing")
    kind = models.CharField(max_length=10, choices=OUTGOING_KINDS)
    template = models.BinaryField(help_text="the message, zstd-compressed")
    recipients = models.JSONField(default=list)
    personalised = models.BooleanField(default=True)
    message = models.ForeignKey("archive.Message", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
