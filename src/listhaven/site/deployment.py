"""Settings a public site must not run without: the secret key.

The default LISTHAVEN_SECRET_KEY is written in this source, so on a site others reach anyone could
sign with it: one-click unsubscribe links for any member (the token key is derived from it when
LISTHAVEN_TOKEN_KEY is unset), session cookies, password-reset and sign-in links. The long-running
services (`serve`, `lmtp`, `worker`, `run`) refuse to start with it unless LISTHAVEN_SITE_URL names
this machine (127.0.0.1, ::1, localhost), as `make run` and the tests do.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from django.conf import settings

from listhaven.site.settings_table import SETTINGS


def _default_secret_key() -> str:
    return next(setting.default for setting in SETTINGS if setting.name == "SECRET_KEY")


def _is_this_machine(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_site_problem() -> str | None:
    """Why this configuration must not serve, or None."""
    if settings.SECRET_KEY != _default_secret_key():
        return None
    host = urlparse(settings.SITE_URL).hostname or ""
    if _is_this_machine(host):
        return None
    return (f"LISTHAVEN_SITE_URL is {settings.SITE_URL} but LISTHAVEN_SECRET_KEY is not set: with the default key, "
            "which anyone can read in the source, anyone could sign unsubscribe links, sessions and sign-in links. "
            "Set LISTHAVEN_SECRET_KEY for every listhaven process (one value for all, kept secret), e.g. from: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'")  # fmt: skip


def refuse_public_default_key() -> None:
    """Raises CommandError when `public_site_problem` names one (the services call it first)."""
    from listhaven.cli import CommandError

    problem = public_site_problem()
    if problem:
        raise CommandError(problem)
