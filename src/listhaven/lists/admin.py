"""The Django admin for lists."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from listhaven.archive.versions import archive_changed
from listhaven.lists.models import MailingList


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "archive_policy", "obfuscate_addresses", "created_at")
    search_fields = ("name", "address", "description")
    readonly_fields = ("next_archive_number", "archive_version", "archive_changed_at", "created_at")

    def save_model(self, request, obj, form, change) -> None:
        # Saved fields show on the archive's pages: pages kept from before must not be served.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            archive_changed(obj.pk)
