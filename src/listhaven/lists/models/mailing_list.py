from django.db import models

from listhaven.lists.models.settings import (
    BounceSettings,
    DigestSettings,
    MembershipSettings,
    ModerationSettings,
    PostingSettings,
)
from listhaven.lists.policies import ARCHIVE_POLICIES, is_private

__all__ = ["ARCHIVE_POLICIES", "MailingList"]


class MailingList(ModerationSettings, PostingSettings, DigestSettings, MembershipSettings, BounceSettings):
    """A list: its archive's owner. Named by its address; `name` is the short name used in URLs.
    What its owners tune for moderation and posting is declared in lists/models/settings.py."""

    name = models.SlugField(max_length=100, unique=True)
    address = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    info = models.TextField(blank=True, help_text="a longer introduction for the list's page (Mailman's info)")
    subject_tag = models.CharField(max_length=100, blank=True, help_text="e.g. [Marxism]")
    # Who may read the archive (web/access.py decides from it): anyone, the list's members
    # (owners and moderators included), or its owners only. Site administrators always may.
    archive_policy = models.CharField(max_length=8, choices=ARCHIVE_POLICIES, default="public")
    obfuscate_addresses = models.BooleanField(default=True)
    # Pipermail numbered messages from 0 in archive order; the next free number.
    next_archive_number = models.PositiveIntegerField(default=0)
    # One more on every change readers could see in the archive (a stored message, a removal, a purge,
    # a thread rebuilt, a setting saved); the page cache's key and the pages' Last-Modified come from
    # these two. Written by listhaven.archive.versions only, always with F() so it never goes back.
    archive_version = models.PositiveBigIntegerField(default=0)
    archive_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.address

    @property
    def is_private(self) -> bool:
        """Anything but a public archive (settable: True means members only, as it always did)."""
        return is_private(self.archive_policy)

    @is_private.setter
    def is_private(self, private: bool) -> None:
        if private != self.is_private:
            self.archive_policy = "members" if private else "public"

    @property
    def title(self) -> str:
        return self.display_name or self.name.replace("-", " ").capitalize()
