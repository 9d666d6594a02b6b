"""/manage/LIST/notices/ and /manage/LIST/notices/NAME/: the texts of the mail the list sends
(welcome, goodbye, confirmations, refusals, bounce warnings, ...). Each has the site's default
(lists/notices.py NOTICES); the list's owners write their own over it, see it filled in before
saving, and go back to the default. Every change is in the list's change history."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from listhaven.lists.models import MailingList
from listhaven.lists.notices import LIST_PLACEHOLDERS, NOTICES, list_values, notice_text
from listhaven.mail.footer import render_footer
from listhaven.web.manage.guard import manage
from listhaven.web.models import SettingChange

T = "listhaven/manage/"
# The placeholder syntax of mail/footer.py's render_footer, which fills every notice.
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What the preview puts in the placeholders a notice's sender fills in (the list's own come from the list).
SAMPLES = {
    "address": "ann@example.org", "token": "4f0c2a9e1b7d3c5a6e8f0a1b2c3d4e5f60718293",
    "confirm_url": "https://lists.example.org/confirm/4f0c2a9e1b7d3c5a6e8f0a1b2c3d4e5f60718293",
    "confirm_address": "LIST-confirm+4f0c2a9e1b7d3c5a6e8f0a1b2c3d4e5f60718293@lists.example.org",
    "expires_days": "3", "options_url": "https://lists.example.org/LIST/options/", "action": "join",
    "reason": "the list is for the garden club's members", "subject": "subscribe", "results": "subscribe: done",
    "reenable_url": "https://lists.example.org/LIST/reenable/…", "warning": "1", "warnings": "3",
    "removal_date": "2026-12-21", "score": "5.0", "requests_url": "https://lists.example.org/manage/LIST/requests/",
    "old_address": "ann@old.example.org", "where": "the LIST mailing list", "sender": "ann@example.org",
    "expires": "2026-12-15 09:30 UTC", "held_id": "42", "held_url": "https://lists.example.org/manage/LIST/held/42/",
    "approve_by_mail": "put the moderator password on the first line (or in an Approved: header)",
    "addresses": "40", "members": "1200", "first": "2026-12-01 06:10 UTC",
    "members_url": "https://lists.example.org/manage/LIST/members/?disabled=bounces",
    "withdraw_url": "https://lists.example.org/LIST/held/withdraw/4f0c2a9e1b7d3c5a6e8f0a1b2c3d4e5f60718293",
}  # fmt: skip


def known_placeholders(name: str) -> tuple[str, ...]:
    return (*LIST_PLACEHOLDERS, "join_address", "leave_address", *NOTICES[name].placeholders)


class NoticeForm(forms.Form):
    subject = forms.CharField(max_length=300, help_text="one line; placeholders allowed")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14, "cols": 76}), help_text="plain text")

    def __init__(self, *args: Any, known: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = known

    def clean_subject(self) -> str:
        subject = str(self.cleaned_data["subject"])
        if "\n" in subject or "\r" in subject:
            raise forms.ValidationError("a subject is one line")
        return self._placeholders_known(subject)

    def clean_body(self) -> str:
        return self._placeholders_known(str(self.cleaned_data["body"]).replace("\r\n", "\n"))

    def _placeholders_known(self, text: str) -> str:
        unknown = sorted({m for m in _PLACEHOLDER.findall(text) if m not in self.known})
        if unknown:
            raise forms.ValidationError(
                f"this notice has no {', '.join('{' + u + '}' for u in unknown)}; it knows "
                + ", ".join("{" + k + "}" for k in self.known)
            )
        return text


@manage("administer")
@require_safe
def notices(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    own = mlist.notice_templates or {}
    rows = [{"name": name, "meaning": t.meaning, "own": name in own} for name, t in sorted(NOTICES.items())]
    return render(request, T + "notices.html", {"mlist": mlist, "rows": rows})


@manage("administer")
@require_http_methods(["GET", "POST"])
def notice(request: HttpRequest, mlist: MailingList, name: str) -> HttpResponse:
    if name not in NOTICES:
        raise Http404(f"No notice named “{name}”.")
    subject, body = notice_text(mlist, name)
    known = known_placeholders(name)
    form = NoticeForm(request.POST or None, initial={"subject": subject, "body": body}, known=known)
    preview = None
    if request.method == "POST":
        if "reset" in request.POST:
            _store(request, mlist, name, None)
            messages.success(request, f"The {name} notice is the site's default again.")
            return redirect("manage-notice", list_name=mlist.name, name=name)
        if form.is_valid():
            if "preview" not in request.POST:
                default = NOTICES[name]
                text = {"subject": form.cleaned_data["subject"], "body": form.cleaned_data["body"]}
                _store(request, mlist, name, None if (text["subject"], text["body"]) == (default.subject, default.body) else text)
                messages.success(request, f"The {name} notice is saved.")
                return redirect("manage-notice", list_name=mlist.name, name=name)
            preview = _filled(mlist, form.cleaned_data["subject"], form.cleaned_data["body"])
    else:
        preview = _filled(mlist, subject, body)
    context = {"mlist": mlist, "name": name, "meaning": NOTICES[name].meaning, "form": form, "known": known,
               "own": name in (mlist.notice_templates or {}), "preview": preview}  # fmt: skip
    return render(request, T + "notice.html", context, status=400 if form.errors else 200)


def _filled(mlist: MailingList, subject: str, body: str) -> tuple[str, str]:
    """The notice as a member would get it: the list's values, and samples for the rest."""
    values = {k: v.replace("LIST", mlist.name) for k, v in SAMPLES.items()} | list_values(mlist)
    return " ".join(render_footer(subject, values).split()), render_footer(body, values)


def _store(request: HttpRequest, mlist: MailingList, name: str, text: dict[str, str] | None) -> None:
    """The list's own text of notice `name` (None: the site default), recorded in the change history."""
    with transaction.atomic():
        fresh = MailingList.objects.select_for_update().get(pk=mlist.pk)
        own = dict(fresh.notice_templates or {})
        before = own.get(name)
        if text is None:
            own.pop(name, None)
        else:
            own[name] = text
        if before == text:
            return
        fresh.notice_templates = own
        fresh.save(update_fields=["notice_templates"])
        SettingChange.objects.create(
            mailing_list=fresh, changed_by=request.user.email or request.user.get_username(), group="notices",
            field=name, old_value=_shown(before), new_value=_shown(text),
        )  # fmt: skip


def _shown(text: dict[str, str] | None) -> str:
    return "(the site's default)" if text is None else f"Subject: {text['subject']}\n\n{text['body']}"
