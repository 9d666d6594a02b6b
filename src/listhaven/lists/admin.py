"""The Django admin for lists."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from listhaven.archive.versions import archive_changed
from listhaven.lists.models import MailingList
from listhaven.lists.postfix_maps import write_maps_after_commit


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
            if not change or "address" in form.changed_data:
                write_maps_after_commit()  # a new or renamed address: Postfix's tables follow

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            write_maps_after_commit()

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            write_maps_after_commit()
