from django.db import models


class Thread(models.Model):
    """A conversation: messages joined by References/In-Reply-To (and, within a window, subject).

    `public_id` is the message-id hash of the message that started it, as in HyperKitty.
    The summary fields are derived from the thread's messages and recomputed by the ingest.
    """

    mailing_list = models.ForeignKey(
        "lists.MailingList", on_delete=models.CASCADE, related_name="threads", db_index=False
    )
    public_id = models.CharField(max_length=32)
    root_message = models.ForeignKey(
        "archive.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.TextField(blank=True)
    subject_normalised = models.TextField(blank=True)
    message_count = models.PositiveIntegerField(default=0)
    participant_count = models.PositiveIntegerField(default=0)
    participants = models.JSONField(default=list, help_text="display names, most active first (at most 20)")
    first_date = models.DateTimeField(null=True)
    last_date = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailing_list", "public_id"], name="thread_public_id")]
        indexes = [
            models.Index(fields=["mailing_list", "last_date"]),
            models.Index(fields=["mailing_list", "first_date"]),
            models.Index(fields=["mailing_list", "subject_normalised"]),
        ]

    def __str__(self) -> str:
        return self.subject


class ThreadRef(models.Model):
    """Every Message-ID a list has seen, stored or only referenced, and the thread it belongs to.

    A referenced id with no stored message is a "ghost": when its message arrives later it joins the
    thread its replies already formed, so the result does not depend on arrival order.
    """

    mailing_list = models.ForeignKey("lists.MailingList", on_delete=models.CASCADE, related_name="+", db_index=False)
    message_id = models.TextField()
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="refs")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailing_list", "message_id"], name="threadref_msgid")]


class ThreadAlias(models.Model):
    """The public id of a thread that was merged into another, so its links keep working."""

    mailing_list = models.ForeignKey("lists.MailingList", on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailing_list", "public_id"], name="threadalias_public_id")]
