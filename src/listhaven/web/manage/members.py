"""/manage/LIST/members/: the roster, searched and filtered in the database and shown a page at a
time (never the whole roster); one member's role and options; mass subscribe and remove; CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from listhaven.lists.members import (
    MEMBER_OPTIONS,
    NAME_MAX,
    AddReport,
    RoleTaken,
    add_members,
    change_member,
    read_address_file,
    remove_members,
    valid_display_name,
)
from listhaven.lists.models import MailingList, Member
from listhaven.lists.models.member import DELIVERY_MODES, DELIVERY_STATUSES, NONMEMBER_ACTIONS, ROLES
from listhaven.lists.notices import send_notice
from listhaven.lists.post import Role
from listhaven.lists.subscriptions import options_url
from listhaven.web.manage.counts import requests_waiting
from listhaven.web.manage.guard import manage
from listhaven.web.manage.roster_search import CappedPaginator, search
from listhaven.web.models import SettingChange

T = "listhaven/manage/"
PER_PAGE = 50
FILTERS = ("q", "role", "mode", "moderated", "disabled")
LABELS = {"role": dict(ROLES), "delivery_mode": dict(DELIVERY_MODES), "delivery_status": dict(DELIVERY_STATUSES)}
MAX_UPLOAD = 5 * 1024 * 1024


def filtered(mlist: MailingList, params: dict[str, str]) -> tuple[QuerySet[Member], bool]:
    """(the roster rows the filters keep, in address order; whether the text search fell back to
    addresses and names containing the text, none starting with it)."""
    rows = Member.objects.filter(mailing_list=mlist)
    contains = False
    if params.get("role") in dict(ROLES):
        rows = rows.filter(role=params["role"])
    if params.get("mode") in dict(DELIVERY_MODES):
        rows = rows.filter(delivery_mode=params["mode"])
    if params.get("moderated") in ("yes", "no"):  # a flag of members, moderators and owners: non-members have an action
        rows = rows.filter(moderated=params["moderated"] == "yes").exclude(role="nonmember")
    if params.get("disabled") == "bounces":
        rows = rows.filter(delivery_status="by_bounces")
    elif params.get("disabled") == "any":
        rows = rows.exclude(delivery_status="enabled")
    if q := params.get("q", "").strip():
        rows, contains = search(rows, q)
    return rows.order_by("address", "role"), contains


@manage("administer")
@require_safe
def roster(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    params = {k: request.GET.get(k, "") for k in FILTERS}
    rows, contains = filtered(mlist, params)
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for row in page:  # what get_FOO_display() shows, without rebuilding the choices for each of 150 cells
        row.labels = {field: LABELS[field].get(getattr(row, field), getattr(row, field)) for field in LABELS}
        row.labels["posts"] = posts_label(mlist, row)
    query = urlencode({k: v for k, v in params.items() if v})
    context = {"mlist": mlist, "page": page, "params": params, "query": f"{query}&" if query else "",
               "roles": ROLES, "modes": DELIVERY_MODES, "contains": contains,
               "waiting": requests_waiting(request, mlist),
               # each row's link is this plus the member's id (/members/ID/): one reverse() a page, not fifty
               "members_url": reverse("manage-members", args=[mlist.name])}  # fmt: skip
    return render(request, T + "members.html", context)


def posts_label(mlist: MailingList, row: Member) -> str:
    """The roster's Moderation cell: for a member, moderator or owner whether their posts are
    moderated (and what the list then does with them); for a non-member what becomes of their posts,
    their own action or the list's default. A non-member row has no moderation flag of any meaning."""
    if row.role == "nonmember":
        if row.action == "defer":
            return f"list's default ({mlist.nonmember_action})"
        return f"always {row.action}"
    return f"moderated ({mlist.member_moderation_action})" if row.moderated else "not moderated"


@manage("administer")
@require_http_methods(["GET", "POST"])
def member(request: HttpRequest, mlist: MailingList, member_id: int) -> HttpResponse:
    row = Member.objects.filter(mailing_list=mlist, pk=member_id).first()
    if row is None:
        raise Http404("No such member.")
    if request.method == "POST":
        return _change(request, mlist, row)
    return _member_page(request, mlist, row)


def _member_page(request: HttpRequest, mlist: MailingList, row: Member, *, name: str | None = None,
                 status: int = 200) -> HttpResponse:  # fmt: skip
    context = {"mlist": mlist, "member": row, "roles": ROLES, "modes": DELIVERY_MODES, "actions": NONMEMBER_ACTIONS,
               "name": row.display_name if name is None else name, "name_max": NAME_MAX}  # fmt: skip
    return render(request, T + "member.html", context, status=status)


def _change(request: HttpRequest, mlist: MailingList, row: Member) -> HttpResponse:
    post = request.POST
    if "remove" in post:
        with transaction.atomic():
            row.delete()
            if post.get("goodbye") and row.role == Role.MEMBER:
                send_notice(mlist, "goodbye", row.address, address=row.address, origin="owner")
        messages.success(request, f"{row.address} removed ({row.role}).")
        return redirect("manage-members", list_name=mlist.name)
    role = post.get("role")
    options = {name: name in post for name in MEMBER_OPTIONS} if "options" in post else None
    name = post.get("display_name")
    try:
        name = None if name is None else valid_display_name(name)
    except ValueError as exc:
        messages.error(request, f"Nothing was saved: {exc}.")
        return _member_page(request, mlist, row, name=post["display_name"], status=400)
    try:
        change_recorded(request, mlist, row, role=role if role in dict(ROLES) else None, options=options,
                        enable="enable" in post,
                        delivery_mode=post["mode"] if post.get("mode") in dict(DELIVERY_MODES) else None,
                        action=post["action"] if post.get("action") in dict(NONMEMBER_ACTIONS) else None,
                        display_name=name)  # fmt: skip
    except RoleTaken as exc:
        messages.error(request, f"{exc}.")
        return redirect("manage-member", list_name=mlist.name, member_id=row.pk)
    messages.success(request, f"{row.address} saved.")
    return redirect("manage-member", list_name=mlist.name, member_id=row.pk)


def change_recorded(request: HttpRequest, mlist: MailingList, row: Member, **changes: Any) -> None:
    """`change_member(row, **changes)` for an owner (the page and the API), with a changed display
    name recorded in the list's history in the same transaction."""
    before = row.display_name
    with transaction.atomic():
        change_member(row, **changes)
        if row.display_name != before:
            record_name_change(request, mlist, row, before)


def record_name_change(request: HttpRequest, mlist: MailingList, row: Member, before: str) -> None:
    """A member's display name changed by an owner, in the list's change history (/manage/LIST/history/)
    beside the settings changes: who, when, the name with the address it was and became. An erasure of
    the address blanks both (web/apps.py)."""
    SettingChange.objects.create(mailing_list=mlist, changed_by=request.user.email or request.user.get_username(),
                                 group="members", field="display_name", old_value=_named(before, row.address),
                                 new_value=_named(row.display_name, row.address))  # fmt: skip


def _named(name: str, address: str) -> str:
    return f"{name} <{address}>" if name else address


def _entries(request: HttpRequest) -> list[str]:
    lines = request.POST.get("addresses", "").splitlines()
    upload = request.FILES.get("file")
    if upload is not None and upload.size <= MAX_UPLOAD:
        lines += upload.read().decode("utf-8", "replace").splitlines()
    return read_address_file(lines)


def subscribe(mlist: MailingList, entries: list[str], role: str, *, welcome: bool) -> AddReport:
    """Adds `entries` in `role` (an unknown role: member), welcoming the added when asked (the page and the API)."""
    role = role if role in dict(ROLES) else "member"
    with transaction.atomic():
        report = add_members(mlist, entries, role=Role(role))
        if welcome:
            # The list's own welcome notice (its template, the owner's edits), queued with the rows it welcomes.
            for address in report.added:
                send_notice(mlist, "welcome", address, address=address, options_url=options_url(mlist))
    return report


@manage("administer")
@require_POST
def mass_subscribe(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    role = request.POST.get("role", "member")
    report = subscribe(mlist, _entries(request), role, welcome=bool(request.POST.get("welcome")))
    messages.success(request, f"{len(report.added)} added, {len(report.existing)} already there, "
                     f"{len(report.invalid)} not valid.")  # fmt: skip
    for given, why in report.invalid[:20]:
        messages.error(request, f"{given}: {why}")
    return redirect("manage-members", list_name=mlist.name)


@manage("administer")
@require_POST
def mass_remove(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    with transaction.atomic():
        report = remove_members(mlist, _entries(request))
        if request.POST.get("goodbye"):  # Mailman's "send unsubscription acknowledgement", queued with the removal
            for address in report.removed:
                send_notice(mlist, "goodbye", address, address=address, origin="owner")
    messages.success(request, f"{len(report.removed)} removed, {len(report.missing)} were not members, "
                     f"{len(report.invalid)} not valid.")  # fmt: skip
    for given, why in report.invalid[:20]:
        messages.error(request, f"{given}: {why}")
    return redirect("manage-members", list_name=mlist.name)


class _Echo:
    def write(self, value: str) -> str:
        return value


COLUMNS = ("address", "display_name", "role", "delivery_mode", "delivery_status", "moderated", "bounce_score",
           "created_at")  # fmt: skip
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A text cell a spreadsheet would take for a formula gets a leading ' (shown as typed, never run):
    names come from the public subscribe form and members' own options pages."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


@manage("administer")
@require_safe
def export_csv(request: HttpRequest, mlist: MailingList) -> StreamingHttpResponse:
    """The roster as CSV, streamed row by row (a 100,000-member roster is never held in memory); no
    cell a spreadsheet would run as a formula (`_cell`)."""
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(COLUMNS)
        for values in Member.objects.filter(mailing_list=mlist).order_by("address").values_list(*COLUMNS).iterator(2000):
            yield writer.writerow([_cell(value) for value in values])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{mlist.name}-members.csv"'
    return response
