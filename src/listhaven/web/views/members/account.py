"""A person's own page and data: `/accounts/` (the lists their address is on, with links to each
list's options), `/accounts/data.json` (what the site holds about their address: GDPR
access) and `/accounts/delete/` (deleting their account: every membership ended, the account gone).

Who is the person: the signed-in account's address, and the addresses proven on this browser by a
one-time options link (views/members/options.py keeps them in the session). Deleting needs an
account and a confirmation: the address typed again, in a CSRF-protected POST. It runs the same
erasure as `listhaven erase-address ADDRESS --posts keep` (lists/erasure.py): the archived posts
stay (the page says so), everything else the list server keeps about the address goes.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from listhaven.delivery.outbox import remove_copies
from listhaven.lists.erasure import erase_address
from listhaven.lists.models import MailingList, Member
from listhaven.lists.personal_data import personal_data
from listhaven.web import access
from listhaven.web.access import user_address
from listhaven.web.views.members.options import SESSION_KEY


def _addresses(request: HttpRequest) -> set[str]:
    found = {str(a) for a in request.session.get(SESSION_KEY, {}).values() if a}
    signed_in = user_address(request.user)
    return found | ({signed_in} if signed_in else set())


def _sole_owner_of(address: str) -> list[str]:
    """The lists this address alone owns: they would be left without an owner (site administrators
    still manage them), which the confirmation page says before anything happens."""
    owned = Member.objects.filter(address__iexact=address, role="owner").values("mailing_list")
    others = Member.objects.filter(mailing_list__in=owned, role="owner").exclude(address__iexact=address)
    alone = MailingList.objects.filter(pk__in=owned).exclude(pk__in=others.values("mailing_list"))
    return sorted(alone.values_list("address", flat=True))


@require_safe
def your_lists(request: HttpRequest) -> HttpResponse:
    """The signed-in person's lists: their role on each, their delivery, links to its options page
    (and to the list's pages they may open); where signing in leads those who run no list."""
    access.mark_personal(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    address = user_address(request.user)
    rows: dict[int, dict[str, Any]] = {}
    roles = Member.objects.filter(address=address, role__in=list(access.ROLE_ORDER)) if address else Member.objects.none()
    for member in roles.select_related("mailing_list").order_by("mailing_list__name"):
        row = rows.setdefault(member.mailing_list_id, {"list": member.mailing_list, "roles": [], "member": None})
        row["roles"].append(member.get_role_display())
        if member.role == "member":
            row["member"] = member
    for row in rows.values():
        row["readable"] = access.can_read(request, row["list"])
        row["runs"] = access.can_moderate(request, row["list"])
    context = {"address": address or "", "rows": list(rows.values()), "manages": access.managed_lists(request).exists()}
    return render(request, "listhaven/members/account.html", context)


@require_safe
def my_data(request: HttpRequest) -> HttpResponse:
    access.mark_personal(request)
    addresses = _addresses(request)
    if not addresses:
        return redirect_to_login(request.get_full_path())
    data = personal_data(addresses)
    for post in data["posts"]:
        post["url"] = request.build_absolute_uri(reverse("message", args=[post["list_name"], post["message_hash"]]))
    user = request.user if request.user.is_authenticated else None
    data["account"] = (
        {"email": user.email, "date_joined": user.date_joined, "last_login": user.last_login} if user else None
    )
    data["generated_at"] = timezone.now()
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")  # fmt: skip
    response["Content-Disposition"] = 'attachment; filename="listhaven-my-data.json"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    access.mark_personal(request)
    address = user_address(request.user)
    if address is None:
        return redirect_to_login(request.get_full_path())
    data = personal_data({address})
    context = {"address": address, "memberships": data["memberships"], "posts": len(data["posts"]), "error": "",
               "sole_owner_of": _sole_owner_of(address)}  # fmt: skip
    if request.method == "POST":
        if request.POST.get("confirm", "").strip().lower() != address.lower():
            context["error"] = "Type your address exactly as shown to confirm."
            return render(request, "listhaven/members/account_delete.html", context, status=400)
        erase_address(address, posts="keep", by="the member")
        remove_copies(address=address)
        logout(request)
        return render(request, "listhaven/members/account_deleted.html", {"address": address})
    return render(request, "listhaven/members/account_delete.html", context)
