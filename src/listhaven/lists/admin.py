"""The Django admin for lists."""

from __future__ import annotations

from django.contrib import admin

from listhaven.lists.models import MailingList


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "archive_policy", "obfuscate_addresses", "created_at")
    search_fields = ("name", "address", "description")
    readonly_fields = ("next_archive_number", "created_at")
