"""The Django admin for the archive: messages (with redaction on request), threads, quarantine."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction

from listhaven.archive import redaction
from listhaven.archive.models import Message, Quarantine, Thread
from listhaven.archive.versions import archive_changed

admin.site.site_header = "Listhaven administration"
admin.site.site_title = "Listhaven"


@admin.action(description="Redact: remove from every page, search, feed, export and the API")
def redact(modeladmin: admin.ModelAdmin, request, queryset) -> None:
    by = request.user.get_username() if request.user.is_authenticated else ""
    with transaction.atomic():
        count = sum(redaction.redact(m, by=by).changed for m in queryset.visible())
    modeladmin.message_user(request, f"{count} message(s) redacted.", messages.SUCCESS)


class ArchiveEdits:
    """Edits, deletions included, made in the admin change what readers see: the list's archive
    version moves with them (archive/versions.py), so no page kept from before is served."""

    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)  # type: ignore[misc]
            archive_changed(obj.mailing_list_id)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)  # type: ignore[misc]
            archive_changed(obj.mailing_list_id)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            lists = set(queryset.values_list("mailing_list_id", flat=True))
            super().delete_queryset(request, queryset)  # type: ignore[misc]
            archive_changed(*lists)


@admin.register(Message)
class MessageAdmin(ArchiveEdits, admin.ModelAdmin):
    list_display = ("subject", "sender_name", "date", "mailing_list", "redacted", "msgid_conflict")
    list_filter = ("mailing_list", "redacted", "msgid_conflict", "date_source")
    search_fields = ("message_id", "public_id", "subject", "sender_email")
    date_hierarchy = "date"
    actions = [redact]
    raw_id_fields = ("thread", "parent")
    exclude = ("body_text",)
    list_select_related = ("mailing_list",)
    show_full_result_count = False  # counting 200,000 rows on every admin page is wasted work

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        """Every field: a message's list, thread, date or flags are copied into its thread's layout, the
        list's numbering and counts and the search index (which answers list:, date: and has: from its
        own copy), so an edit here would leave those behind: a message moved into a private list would
        stay findable from its old one. Changes go through the commands that keep them in step
        (redaction above, `listhaven erase-address`, `listhaven reindex`)."""
        return [field.name for field in Message._meta.fields if field.name not in self.exclude]


@admin.register(Thread)
class ThreadAdmin(ArchiveEdits, admin.ModelAdmin):
    list_display = ("subject", "mailing_list", "message_count", "last_date")
    list_filter = ("mailing_list",)
    search_fields = ("subject", "public_id")
    raw_id_fields = ("root_message",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        """Every field: a thread's list, subject and figures follow its messages (MessageAdmin)."""
        return [field.name for field in Thread._meta.fields]


@admin.register(Quarantine)
class QuarantineAdmin(admin.ModelAdmin):
    list_display = ("id", "mailing_list", "origin", "size", "reason", "created_at")
    list_filter = ("mailing_list",)
    exclude = ("data",)
    readonly_fields = ("mailing_list", "content_hash", "reason", "origin", "size", "created_at")
