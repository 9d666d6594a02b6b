"""/manage/: the lists this user runs; for site administrators also creating and removing lists,
the quarantine of unparseable mail and what needs attention."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from listhaven.archive.models import Quarantine
from listhaven.lists.bounce_spikes import spikes
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_member
from listhaven.lists.models import HeldMessage, MailingList
from listhaven.lists.post import Role
from listhaven.lists.removal import remove_list
from listhaven.web import access
from listhaven.web.manage.guard import manage

T = "listhaven/manage/"
WAITING_TOO_LONG = timedelta(days=1)


class CreateListForm(forms.Form):
    address = forms.EmailField(label="List address", help_text="name@domain the list posts from; its short name "
                               "(the URL's) is the part before @")  # fmt: skip
    display_name = forms.CharField(required=False, max_length=200, help_text="shown in page headers and mail")
    owner = forms.EmailField(required=False, help_text="the first owner's address (more on the members page)")
    private = forms.BooleanField(required=False, help_text="archive readable by members only")


@manage("any")
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    mlists = access.managed_lists(request).annotate(held=Count("held_messages"), oldest=Min("held_messages__held_at"))
    context: dict[str, object] = {"mlists": mlists, "site_admin": access.can_administer_site(request)}
    if context["site_admin"]:
        context["form"] = CreateListForm()
        context["attention"] = attention()
        context["quarantined"] = Quarantine.objects.count()
    return render(request, T + "dashboard.html", context)


def attention() -> list[dict[str, object]]:
    """Lists with posts held for more than a day, then lists whose bounces spike."""
    cutoff = timezone.now() - WAITING_TOO_LONG
    late = (HeldMessage.objects.filter(held_at__lt=cutoff).values("mailing_list__name")
            .annotate(n=Count("id"), oldest=Min("held_at")).order_by("oldest"))  # fmt: skip
    rows: list[dict[str, object]] = [
        {"list": row["mailing_list__name"], "what": f"{row['n']} post(s) held for more than a day",
         "since": row["oldest"], "url": "manage-held"} for row in late]  # fmt: skip
    return rows + bounce_spikes()


def bounce_spikes(mlist: MailingList | None = None) -> list[dict[str, object]]:
    """Lists on which many members bounced in the last day (lists/bounce_spikes.py)."""
    return [{"list": s.list_name, "since": s.first, "url": "manage-members",
             "what": f"mail to {s.addresses} of its {s.members} members bounced in the last day"}
            for s in spikes(mlist)]  # fmt: skip


@manage("site")
@require_http_methods(["GET", "POST"])
def new_list(request: HttpRequest) -> HttpResponse:
    """GET: the form alone (the dashboard shows it too); POST: the list created, or the form with its errors."""
    form = CreateListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mlist = create_list(data["address"], display_name=data["display_name"], private=data["private"])
        except ValueError as exc:
            form.add_error("address", str(exc))
        else:
            if data["owner"]:
                add_member(mlist, data["owner"], role=Role.OWNER)
            messages.success(request, f"List {mlist.address} created.")
            return redirect("manage-list", list_name=mlist.name)
    return render(request, T + "new_list.html", {"form": form}, status=400 if form.errors else 200)


@manage("site")
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    """GET: what removing means, and a confirmation form; POST (with the list's address typed): done."""
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "").strip().lower() != mlist.address:
            error = f"Type the list's address, {mlist.address}, to confirm."
        else:
            keep = request.POST.get("archive") != "delete"
            remove_list(mlist, keep_archive=keep)
            messages.success(request, f"List {mlist.address} removed" + (", its archive kept." if keep else " with its archive."))
            return redirect("manage")
    held = HeldMessage.objects.filter(mailing_list=mlist).count()
    context = {"mlist": mlist, "error": error, "messages_count": mlist.messages.count(), "held": held}
    return render(request, T + "remove.html", context, status=400 if error else 200)


@manage("site")
@require_safe
def quarantine(request: HttpRequest) -> HttpResponse:
    rows = Quarantine.objects.defer("data").select_related("mailing_list").order_by("-created_at", "-id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, T + "quarantine.html", {"page": page})


@manage("moderate")
@require_safe
def list_home(request: HttpRequest, mlist: MailingList) -> HttpResponse:
    context = {"mlist": mlist, "held": HeldMessage.objects.filter(mailing_list=mlist).count(),
               "spike": bounce_spikes(mlist),
               "members": mlist.members.filter(role="member").count(),
               "administer": access.can_administer(request, mlist), "erase": access.can_erase(request, mlist),
               "site_admin": access.can_administer_site(request)}  # fmt: skip
    return render(request, T + "list_home.html", context)
