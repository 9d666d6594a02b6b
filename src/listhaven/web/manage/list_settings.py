"""/manage/LIST/settings/ and /manage/LIST/history/: the list's settings, and who changed what when."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from listhaven.archive.versions import archive_changed
from listhaven.lists.models import MailingList
from listhaven.lists.moderation import set_moderator_password
from listhaven.web.manage.guard import manage
from listhaven.web.manage.settings_form import FIELDS, GROUPS, SettingsForm
from listhaven.web.models import SettingChange

GROUP_OF = {name: key for key, _, names in GROUPS for name in names}
GROUP_TITLES = {key: title for key, title, _ in GROUPS}
# Rows of the history that are not settings of the form: (group title, label).
OTHER_ROWS = {("members", "display_name"): ("Members", "a member's name")}


@manage("administer")
@require_http_methods(["GET", "POST"])
def list_settings(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    before = {name: getattr(mlist, name) for name in FIELDS}
    form = SettingsForm(request.POST or None, instance=mlist)
    if request.method == "POST":
        if form.is_valid():
            save_settings(request, mlist, form, before)
            messages.success(request, "Settings saved.")
            return redirect("manage-settings", list_name=mlist.name)
        messages.error(request, "Nothing was saved: correct the fields marked below.")
    context = {"mlist": mlist, "form": form}
    return render(request, "listhaven/manage/settings.html", context, status=400 if form.errors else 200)


def save_settings(request: HttpRequest, mlist: MailingList, form: SettingsForm, before: dict[str, object]) -> None:
    """Saves a valid form and records each change in the list's history (the page and the API)."""
    who = request.user.email or request.user.get_username()
    with transaction.atomic():
        # Only the form's fields: the counters on the row (archive numbers, the archive version) may
        # have moved since the page was read, and must not be written back.
        mlist = form.save(commit=False)
        mlist.save(update_fields=FIELDS)
        archive_changed(mlist.pk)  # names, tag, obfuscation, policy show on every archive page
        changes = [SettingChange(mailing_list=mlist, changed_by=who, group=GROUP_OF[name], field=name,
                                 old_value=_shown(before[name]), new_value=_shown(getattr(mlist, name)))
                   for name in FIELDS if before[name] != getattr(mlist, name)]  # fmt: skip
        password = form.cleaned_data.get("moderator_password", "")
        if password:
            set_moderator_password(mlist, "" if password == "-" else password)
            changes.append(SettingChange(mailing_list=mlist, changed_by=who, group="posting", field="moderator_password",
                                         old_value="(hidden)", new_value="(removed)" if password == "-" else "(changed)"))  # fmt: skip
        SettingChange.objects.bulk_create(changes)


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


@manage("administer")
@require_safe
def history(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    rows = SettingChange.objects.filter(mailing_list=mlist).order_by("-changed_at", "-id")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    form = SettingsForm(instance=mlist)
    for change in page:
        _as_read_on_the_settings_page(change, form)
    return render(request, "listhaven/manage/history.html", {"mlist": mlist, "page": page})


def _as_read_on_the_settings_page(change: SettingChange, form: SettingsForm) -> None:
    """The change with the setting's label, its group's title and choices as their words ("Replies go to:
    leave as sent → the list"), as the settings page shows them; other rows (notices) keep their names."""
    # Only a settings group's rows are the form's fields: a member's display_name is not the list's.
    field = form.fields.get(change.field) if change.group in GROUP_TITLES else None
    title, label = OTHER_ROWS.get((change.group, change.field), (change.group, change.field))
    change.label = str(field.label) if field is not None and field.label else label  # type: ignore[attr-defined]
    change.group_title = GROUP_TITLES.get(change.group, title)  # type: ignore[attr-defined]
    words = dict(getattr(field, "choices", None) or [])
    change.old_shown = str(words.get(change.old_value, change.old_value))  # type: ignore[attr-defined]
    change.new_shown = str(words.get(change.new_value, change.new_value))  # type: ignore[attr-defined]
