from django.db import models

from listhaven.lists.models.settings import (
    BounceSettings,
    DigestSettings,
    MembershipSettings,
    ModerationSettings,
    PostingSettings,
)


class MailingList(ModerationSettings, PostingSettings, DigestSettings, MembershipSettings, BounceSettings):
    """A list: its archive's owner. Named by its address; `name` is the short name used in URLs.
    What its owners tune for moderation and posting is declared in lists/models/settings.py."""

    name = models.SlugField(max_length=100, unique=True)
    address = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    info = models.TextField(blank=True, help_text="a longer introduction for the list's page (Mailman's info)")
    subject_tag = models.CharField(max_length=100, blank=True, help_text="e.g. [Marxism]")
    is_private = models.BooleanField(default=False)
    obfuscate_addresses = models.BooleanField(default=True)
    # Pipermail numbered messages from 0 in archive order; the next free number.
    next_archive_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.address

    @property
    def title(self) -> str:
        return self.display_name or self.name.replace("-", " ").capitalize()
