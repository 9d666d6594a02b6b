"""What the web layer itself stores: failed sign-ins (throttling), the history of list settings and
the API tokens of accounts."""

from django.conf import settings
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


class ApiToken(models.Model):
    """An account's token for the JSON API's owner and moderator endpoints (one per account; making a
    new one replaces it). Only the SHA-256 of the token is stored: it is 256 random bits, so a hash
    needs no salt or stretching, and a stolen database gives no usable token."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="the token's first characters, to tell tokens apart")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
