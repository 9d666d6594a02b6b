"""Absolute links to the site, for text read away from the request that made it: feeds (kept and
re-served by aggregators) and mail (Archived-At, List-Archive, footers, confirmation links).

They start with the SITE_URL setting (LISTHAVEN_SITE_URL), never with the Host header of a request:
a Host header is the client's to choose, and a mail is composed with no request at all.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def site_url(path: str = "/") -> str:
    """SITE_URL joined with a site path (``/LIST/``); "/" gives the site's front page."""
    return settings.SITE_URL + (path if path.startswith("/") else "/" + path)


def list_url(list_name: str) -> str:
    """A list's archive overview: List-Archive in mail, the alternate link of its feeds."""
    return site_url(reverse("list", kwargs={"list_name": list_name}))


def message_url(list_name: str, public_id: str) -> str:
    """One archived message's page: Archived-At in mail, a feed entry's link."""
    return site_url(reverse("message", kwargs={"list_name": list_name, "message_hash": public_id}))


def thread_url(list_name: str, public_id: str) -> str:
    return site_url(reverse("thread", kwargs={"list_name": list_name, "thread_id": public_id}))


def site_address() -> str:
    """The address of the site's own mail, which belongs to no list (sign-in links, password resets):
    SITE_EMAIL, else ``listhaven@`` SITE_URL's host (``localhost`` when that is an IP address)."""
    if settings.SITE_EMAIL:
        return str(settings.SITE_EMAIL)
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"listhaven@{host}"
    return "listhaven@localhost"
