from django.db import models


class ImportRun(models.Model):
    """Progress of importing one source into one list, committed with each batch.

    An interrupted run resumes after `position` and its counts carry on, so the final
    summary equals that of an uninterrupted run.
    """

    mailing_list = models.ForeignKey("lists.MailingList", on_delete=models.CASCADE, related_name="+")
    fingerprint = models.TextField(help_text="resolved path, size and mtime of the source")
    source = models.TextField()
    position = models.PositiveBigIntegerField(default=0, help_text="messages consumed so far")
    stored = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    completed = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["mailing_list", "fingerprint"])]
