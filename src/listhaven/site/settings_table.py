"""Every setting of Listhaven, declared once: its name, environment variable, default and meaning.

`settings.py` turns each row into the Django setting of the same name (``settings.SITE_URL``);
docs/configuration.md's table is generated from these rows (tests/test_docs.py fails when it differs,
``pytest tests/test_docs.py --regen-golden`` rewrites it); and the same test fails for a row that no
code reads, or for an environment variable read anywhere but here.

Adding a setting is one row::

    Setting("SMTP_PORT", "LISTHAVEN_SMTP_PORT", "25", integer, "port of the MTA that delivers list mail"),

then read it as ``settings.SMTP_PORT``. Before Django is set up (the command line's defaults), use
`current("SMTP_PORT")`. This module imports nothing from Django, so any layer but `mail` may use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def text(value: str) -> str:
    return value


def integer(value: str) -> int:
    return int(value.strip())


def at_least_zero(value: str) -> int:
    """A count or a duration: 0 or more."""
    number = integer(value)
    if number < 0:
        raise ValueError(f"{number} is below 0")
    return number


def at_least_one(value: str) -> int:
    """A count of things that must exist: 1 or more."""
    number = integer(value)
    if number < 1:
        raise ValueError(f"{number} is below 1")
    return number


def optional_integer(value: str) -> int | None:
    return int(value) if value.strip() else None


def boolean(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def directory(value: str) -> Path:
    return Path(value).resolve()


def cache_directory(value: str) -> Path | None:
    """A cache's directory: unset means the user's cache directory (XDG), `off` none at all."""
    if value.strip().lower() == "off":
        return None
    if value.strip():
        return Path(value).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).resolve() / "listhaven"


def directory_or_off(value: str) -> Path | str | None:
    """A directory; `off`: None; unset: "" (the code that reads it says what that means)."""
    if value.strip().lower() == "off":
        return None
    return Path(value).resolve() if value.strip() else ""


def base_url(value: str) -> str:
    return value.strip().rstrip("/")


LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def site_hosts(site_url: str) -> list[str]:
    """The hosts the site answers to when LISTHAVEN_ALLOWED_HOSTS is unset: the host of its public
    address, and this machine's own names (the local tools, a proxy's health check, `make run`)."""
    host = (urlparse(site_url).hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # Django writes IPv6 hosts as the Host header does
    return list(dict.fromkeys([host, *LOCAL_HOSTS] if host else LOCAL_HOSTS))


@dataclass(frozen=True)
class Setting:
    """One setting. `default` is written as in the environment ("" means unset); `shown_default`
    replaces it in the docs where the value is computed or a secret."""

    name: str
    variable: str
    default: str
    parse: Callable[[str], Any]
    meaning: str
    shown_default: str = ""

    def read(self, environ: Mapping[str, str]) -> Any:
        given = environ.get(self.variable, self.default)
        try:
            return self.parse(given)
        except ValueError as exc:
            raise ValueError(f"{self.variable}={given!r}: {exc}") from None

    def documented_default(self) -> str:
        if self.shown_default:
            return self.shown_default
        return f"`{self.default}`" if self.default else "unset"


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", "LISTHAVEN_DATA", "listhaven-data", directory,
            "directory of the embedded store (SQLite database, demo files, collected static files); "
            "`--data-dir` overrides it for one command", "`./listhaven-data`"),
    Setting("DATABASE_URL", "DATABASE_URL", "", text,
            "`postgres://user:password@host:port/name`: use PostgreSQL instead of SQLite"),
    Setting("SECRET_KEY", "LISTHAVEN_SECRET_KEY", "listhaven-insecure-default-change-me", text,
            "Django's secret key; set it on any public site", "insecure default"),
    Setting("DEBUG", "LISTHAVEN_DEBUG", "false", boolean, "Django debug pages (never on a public site)"),
    Setting("TRUSTED_PROXIES", "LISTHAVEN_TRUSTED_PROXIES", "127.0.0.1,::1", comma_list,
            "comma-separated addresses of the reverse proxies in front of `listhaven serve`: a request from one of "
            "them is counted (rate limits, sign-in throttling) as coming from the last address in its "
            "X-Forwarded-For that is not a proxy; empty: X-Forwarded-For is never read"),
    Setting("ALLOWED_HOSTS", "LISTHAVEN_ALLOWED_HOSTS", "", comma_list,
            "comma-separated host names the site answers to (a leading dot: a domain and its subdomains; `*`: any); "
            "a request for another Host gets 400",
            "unset: the host of LISTHAVEN_SITE_URL, `localhost`, `127.0.0.1` and `[::1]`"),
    Setting("SITE_NAME", "LISTHAVEN_SITE_NAME", "Listhaven", text, "name shown in page headers and feeds"),
    Setting("SITE_URL", "LISTHAVEN_SITE_URL", "http://127.0.0.1:8000", base_url,
            "public address of the site: the links in feeds and in mail start with it; https:// makes the session "
            "and CSRF cookies Secure (sent over HTTPS only) and every answer carries Strict-Transport-Security "
            "(LISTHAVEN_HSTS_SECONDS)"),
    Setting("HSTS_SECONDS", "LISTHAVEN_HSTS_SECONDS", "31536000", at_least_zero,
            "on a site whose LISTHAVEN_SITE_URL is https://: the max-age of the Strict-Transport-Security header "
            "every answer carries (browsers then use HTTPS only for that host, for this many seconds from the last "
            "answer); 0: no header; a site on http:// never sends it", "`31536000` (a year)"),
    Setting("SITE_EMAIL", "LISTHAVEN_SITE_EMAIL", "", text,
            "the address the site's own mail (sign-in links, password resets) comes from, and its return path; "
            "it belongs to no list", "unset: `listhaven@` the host of LISTHAVEN_SITE_URL (`localhost` for an IP address)"),
    Setting("MAX_MESSAGE_BYTES", "LISTHAVEN_MAX_MESSAGE_BYTES", "26214400", integer,
            "larger messages are quarantined with the reason", "`26214400` (25 MiB)"),
    Setting("MAX_MIME_PARTS", "LISTHAVEN_MAX_MIME_PARTS", "1000", integer,
            "messages with more MIME parts are quarantined"),
    Setting("IMPORT_BATCH_SIZE", "LISTHAVEN_IMPORT_BATCH", "1000", integer, "messages per import transaction"),
    Setting("SCHEMA_CACHE_DIR", "LISTHAVEN_SCHEMA_CACHE", "", cache_directory,
            "where a copy of a newly migrated SQLite store is kept, one per code version, so later new stores "
            "start as that copy instead of replaying every migration; `off`: always migrate",
            "`$XDG_CACHE_HOME/listhaven` (`~/.cache/listhaven`)"),
    Setting("IMPORT_WORKERS", "LISTHAVEN_IMPORT_WORKERS", "", optional_integer,
            "parser processes during an import; 0 parses in the importing process (`import --workers` overrides)",
            "cores − 1, at least 1, at most 4"),
    Setting("SUBJECT_THREAD_WINDOW_DAYS", "LISTHAVEN_SUBJECT_WINDOW_DAYS", "30", integer,
            "a reply without references joins a thread of the same subject only within this many days"),
    Setting("LOG_LEVEL", "LISTHAVEN_LOG_LEVEL", "WARNING", text, "logging level"),
    Setting("WEB_HOST", "LISTHAVEN_HOST", "127.0.0.1", text, "address `listhaven serve` binds"),
    Setting("WEB_PORT", "LISTHAVEN_PORT", "8000", integer, "port `listhaven serve` binds"),
    Setting("WEB_WORKERS", "LISTHAVEN_WEB_WORKERS", "2", integer, "gunicorn worker processes"),
    Setting("WEB_THREADS", "LISTHAVEN_WEB_THREADS", "4", integer, "threads per gunicorn worker"),
    Setting("PAGE_CACHE_SECONDS", "LISTHAVEN_PAGE_CACHE_SECONDS", "86400", integer,
            "how long a rendered archive page of a public list is kept for readers who are not signed in "
            "(DATA_DIR/page-cache, shared by the web processes; any change of the list makes a new entry); 0: no page cache"),
    Setting("PAGE_CACHE_ENTRIES", "LISTHAVEN_PAGE_CACHE_ENTRIES", "20000", integer,
            "pages the page cache keeps before it drops some (about 5-20 kB of disk each)"),
    Setting("IMMUTABLE_MAX_AGE", "LISTHAVEN_IMMUTABLE_MAX_AGE", "604800", integer,
            "Cache-Control max-age (seconds) of what does not change on a public list: raw messages, attachments, a "
            "closed month's downloads, a settled message page; browsers and shared caches may keep a removed message's "
            "copy this long"),
    Setting("LMTP_HOST", "LISTHAVEN_LMTP_HOST", "127.0.0.1", text, "address `listhaven lmtp` binds"),
    Setting("LMTP_PORT", "LISTHAVEN_LMTP_PORT", "8024", integer, "port `listhaven lmtp` binds (Mailman's LMTP port)"),
    Setting("DNS_RESOLVER", "LISTHAVEN_DNS_RESOLVER", "", text,
            "DNS server(s) the list server asks for senders' DMARC policies: `host` or `host:port`, comma-separated",
            "unset (the system's resolver)"),
    Setting("POSTFIX_MAPS_DIR", "LISTHAVEN_POSTFIX_MAPS", "", directory_or_off,
            "where Listhaven writes Postfix's tables of the lists, `postfix_lmtp` (transport_maps: every list address to "
            "`lmtp:[LISTHAVEN_LMTP_HOST]:LISTHAVEN_LMTP_PORT`) and `postfix_domains` (relay_domains), again at each "
            "list's creation and removal (docs/operations.md, Postfix); `off`: never",
            "unset (the data directory)"),
    Setting("POSTMAP", "LISTHAVEN_POSTMAP", "", text,
            "the `postmap` command run on each table written; `off`: none (Postfix reads the tables as `texthash:`)",
            "unset (`postmap` when found on PATH or in /usr/sbin)"),
    Setting("SMTP_HOST", "LISTHAVEN_SMTP_HOST", "", text,
            "the MTA that delivers list mail (e.g. `127.0.0.1` for a local Postfix); unset: copies go to the "
            "outbox Maildir in the data directory, read at /manage/outbox/", "unset (the outbox)"),
    Setting("SMTP_PORT", "LISTHAVEN_SMTP_PORT", "25", integer, "port of the MTA that delivers list mail"),
    Setting("SMTP_USER", "LISTHAVEN_SMTP_USER", "", text, "login at the MTA (AUTH), when it asks for one"),
    Setting("SMTP_PASSWORD", "LISTHAVEN_SMTP_PASSWORD", "", text, "password for LISTHAVEN_SMTP_USER", "unset"),
    Setting("SMTP_MAX_RECIPIENTS", "LISTHAVEN_SMTP_MAX_RECIPIENTS", "500", integer,
            "bulk delivery: recipients per SMTP transaction"),
    Setting("DELIVERY_BATCH_SIZE", "LISTHAVEN_DELIVERY_BATCH", "500", integer,
            "recipients per delivery batch, the unit a worker claims"),
    Setting("DELIVERY_CONNECTIONS", "LISTHAVEN_DELIVERY_CONNECTIONS", "4", integer,
            "SMTP sessions a worker keeps open to the MTA, each sending its own batch (one copy in flight each)"),
    Setting("RUN_WORKERS", "LISTHAVEN_RUN_WORKERS", "1", at_least_one,
            "delivery workers `listhaven run` starts (`--workers`), each a process with its own journal and SMTP sessions"),
    Setting("DELIVERY_RETRY_DAYS", "LISTHAVEN_DELIVERY_RETRY_DAYS", "5", integer,
            "temporary (4xx) failures are retried with growing delays for this many days, then given up"),
    Setting("TOKEN_KEY", "LISTHAVEN_TOKEN_KEY", "", text,
            "key that signs one-click unsubscribe links (at least 16 characters); unset: derived from the secret key",
            "derived from LISTHAVEN_SECRET_KEY"),
    Setting("TOKEN_KEY_PREVIOUS", "LISTHAVEN_TOKEN_KEY_PREVIOUS", "", text,
            "the key before the last rotation: links it signed keep working while it is set (the grace period)"),
    Setting("CONFIRM_DAYS", "LISTHAVEN_CONFIRM_DAYS", "3", integer,
            "confirmation, invitation and options links expire after this many days"),
    Setting("SUBSCRIBE_FORM_MIN_SECONDS", "LISTHAVEN_SUBSCRIBE_FORM_MIN_SECONDS", "3", integer,
            "a subscribe form posted sooner than this after it was shown is ignored (robots fill forms at once)"),
    Setting("SUBSCRIBE_RATE_ADDRESS", "LISTHAVEN_SUBSCRIBE_RATE_ADDRESS", "3/h", text,
            "subscription and options-link requests per address, by the web forms and by mail together (django-ratelimit rate); more send nothing"),
    Setting("API_TOKEN_DAYS", "LISTHAVEN_API_TOKEN_DAYS", "365", integer,
            "an API token made on /accounts/api-token/ or by `listhaven api-token` expires after this many days"),
    Setting("API_RATE", "LISTHAVEN_API_RATE", "600/m", text,
            "requests to the API's owner and moderator endpoints per token and per client IP (django-ratelimit rate)"),
    Setting("AUTORESPONSE_RATE", "LISTHAVEN_AUTORESPONSE_RATE", "10/d", text,
            "automatic answers one list sends one address (command results, held and rejected post notices; "
            "django-ratelimit rate, Mailman's max_autoresponses_per_day); more send nothing"),
    Setting("SUBSCRIBE_RATE_CLIENT", "LISTHAVEN_SUBSCRIBE_RATE_CLIENT", "20/h", text,
            "subscription and options-link requests per client IP address; more send nothing"),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def read_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every declared setting's value, by name, from `environ` (defaults where a variable is unset)."""
    return {setting.name: setting.read(environ) for setting in SETTINGS}


def current(name: str) -> Any:
    """One setting's value from the process environment now, for code that runs before Django is set up."""
    return BY_NAME[name].read(os.environ)


def is_set(name: str) -> bool:
    """Whether one setting's variable is set (non-empty) in the process environment now."""
    return bool(os.environ.get(BY_NAME[name].variable))


def markdown_table() -> str:
    """The table of docs/configuration.md."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{s.variable}` | {s.documented_default()} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"
