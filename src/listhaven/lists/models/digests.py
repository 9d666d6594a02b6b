"""Digests waiting and sent: the posts collected for a list's next issue, and each issue that left."""

from django.db import models

from listhaven.lists.models.member import LIST_MODEL


class DigestEntry(models.Model):
    """One accepted post collected for the list's next digest issue: the list's copy (as archived,
    without footer) so the issue can be built without reading the archive. Deleted in the
    transaction that sends the issue holding it."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="digest_entries")
    message = models.ForeignKey("archive.Message", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")  # fmt: skip
    data = models.BinaryField(help_text="the post, zstd-compressed")
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["mailing_list", "id"], name="digest_pending")]


class DigestIssueSent(models.Model):
    """An issue that went out. Unique per (list, volume, number): an issue is queued once."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="digest_issues")
    volume = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    posts = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="bytes of the posts collected")
    reason = models.CharField(max_length=10, help_text="size, schedule or forced")
    mime_recipients = models.PositiveIntegerField(default=0)
    plain_recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["mailing_list", "volume", "number"], name="digest_issue_once")]

    def __str__(self) -> str:
        return f"{self.mailing_list_id} vol {self.volume} issue {self.number}"
