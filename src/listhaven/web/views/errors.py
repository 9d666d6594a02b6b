"""The pages of refusals Django answers by itself: a form sent without its CSRF check
(`CSRF_FAILURE_VIEW`). The 403 and 404 pages are the templates `403.html` and `404.html`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form came back without the check it was shown with (the page was old, the browser keeps no
    cookie for the site, or another tab signed in or out): say so in words, nothing changed, and
    link back to the page the form was on when the browser named it."""
    referer = request.META.get("HTTP_REFERER", "")
    back = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
    return render(request, "403_csrf.html", {"back": back}, status=403)
