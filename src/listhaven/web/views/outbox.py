"""/manage/outbox/: what the lists sent while no MTA was configured (the outbox Maildir), newest
first, each message shown as an archive page shows one; site administrators only (404 for others)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from listhaven.delivery import outbox
from listhaven.mail.message import SourceMessage
from listhaven.mail.parse import parse_message
from listhaven.mail.presenter import Presenter
from listhaven.web.access import require_site_administrator

PER_PAGE = 50
_SANDBOX = "sandbox; default-src 'none'"


@require_safe
def outbox_index(request: HttpRequest) -> HttpResponse:
    require_site_administrator(request)
    page = Paginator(outbox.entries(), PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for entry in page.object_list:
        head = _head(entry.key)
        rows.append({"key": entry.key, "written": datetime.fromtimestamp(entry.written, UTC), "size": entry.size,
                     **head})  # fmt: skip
    return render(request, "listhaven/outbox.html", {"page": page, "rows": rows})


@require_safe
def outbox_message(request: HttpRequest, key: str) -> HttpResponse:
    require_site_administrator(request)
    data = outbox.read(key)
    if data is None:
        raise Http404("No such message in the outbox.")
    envelope, _, raw = _split_envelope(data)
    parsed = parse_message(SourceMessage(raw, f"outbox {key}"))
    # The site administrator sees addresses as written: delivery problems are about exact addresses.
    context = {"key": key, "message": parsed, "size": len(data), "present": Presenter(obfuscates=False), "delivered_to": envelope.get("Delivered-To", ""),
               "return_path": envelope.get("Return-Path", "")}  # fmt: skip
    return render(request, "listhaven/outbox_message.html", context)


@require_safe
def outbox_raw(request: HttpRequest, key: str) -> HttpResponse:
    require_site_administrator(request)
    data = outbox.read(key)
    if data is None:
        raise Http404("No such message in the outbox.")
    response = HttpResponse(data, content_type="text/plain; charset=utf-8")
    response["Content-Security-Policy"] = _SANDBOX
    response["Content-Disposition"] = f'inline; filename="{key}.eml"'
    return response


def _split_envelope(data: bytes) -> tuple[dict[str, str], bytes, bytes]:
    """(Return-Path and Delivered-To the outbox put in front, those lines, the message as sent)."""
    envelope: dict[str, str] = {}
    rest = data
    for name in (b"Return-Path:", b"Delivered-To:"):
        if rest.startswith(name):
            line, _, rest = rest.partition(b"\n")
            envelope[name.decode()[:-1]] = line[len(name) :].strip().decode("utf-8", "replace")
    return envelope, data[: len(data) - len(rest)], rest


def _head(key: str) -> dict[str, object]:
    data = outbox.read(key) or b""
    envelope, _, raw = _split_envelope(data[:65536])
    parsed = parse_message(SourceMessage(raw, f"outbox {key}"))
    return {"to": envelope.get("Delivered-To", ""), "subject": parsed.subject, "sender": parsed.sender}
