from django.db import models


class Quarantine(models.Model):
    """Bytes that could not be made into a message, kept with the reason, never dropped."""

    mailing_list = models.ForeignKey("lists.MailingList", on_delete=models.CASCADE, related_name="quarantined")
    content_hash = models.CharField(max_length=64, help_text="sha256 of the bytes")
    reason = models.TextField()
    origin = models.TextField(blank=True)
    data = models.BinaryField(help_text="the bytes, zstd-compressed")
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["mailing_list", "content_hash"], name="quarantine_hash")]
