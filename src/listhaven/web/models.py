"""What the web layer itself stores: failed sign-ins (throttling) and the history of list settings."""

from django.db import models


class LoginFailure(models.Model):
    """Failed sign-ins counted under one key (``account:ADDRESS`` or ``client:IP``) since `first_at`;
    the window restarts once it has passed. A database row, so every web process sees the same count."""

    key = models.CharField(max_length=400, unique=True)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()


class SettingChange(models.Model):
    """One field of a list changed from the settings page: who, when, what it was and became."""

    mailing_list = models.ForeignKey("lists.MailingList", on_delete=models.CASCADE, related_name="setting_changes")
    changed_by = models.CharField(max_length=320, help_text="the account's address (kept if the account goes)")
    group = models.CharField(max_length=40)
    field = models.CharField(max_length=60)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["mailing_list", "changed_at"], name="setting_change_list")]
