"""Django settings. Listhaven's own knobs are environment variables declared once in settings_table.py
(name, variable, default, meaning), which docs/configuration.md is generated from; each row becomes the
Django setting of its name here.

The embedded default is SQLite under LISTHAVEN_DATA (./listhaven-data); DATABASE_URL switches to
PostgreSQL (postgres://user:pass@host:5432/name).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from listhaven.site.settings_table import read_settings, site_hosts

_declared = read_settings(os.environ)
globals().update(_declared)  # each row of the table is the Django setting of its name
# Unset: the public address's host and this machine's names; `*` (any Host) only when set so.
ALLOWED_HOSTS: list[str] = _declared["ALLOWED_HOSTS"] or site_hosts(_declared["SITE_URL"])

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR: Path = _declared["DATA_DIR"]


def _database_from_url(url: str) -> dict:
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must start with postgres:// (got {parts.scheme!r})")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
    }


def _sqlite_database() -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "listhaven.sqlite3"),
        # Keep each thread's connection: opening one runs the PRAGMAs below on every request.
        "CONN_MAX_AGE": 600,
        "OPTIONS": {
            # IMMEDIATE: writers take the lock up front, so a reader never turns into a
            # writer mid-transaction and meets "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            # synchronous=FULL: a commit is on disk before we acknowledge anything.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                "PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY;"
            ),
        },
    }


DATABASE_URL: str = _declared["DATABASE_URL"]
DATABASES = {"default": _database_from_url(DATABASE_URL) if DATABASE_URL else _sqlite_database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Without autodiscovery: the admin's modules (forms, widgets, every ModelAdmin) are imported by
    # site/urls.py, i.e. by the web server, and not by every `listhaven` command (a fifth of
    # `listhaven lists`'s time).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "listhaven.archive",
    "listhaven.lists",
    "listhaven.web",
]

MIDDLEWARE = [
    # Outermost (after the client's address): the security headers (HSTS, CSP), on every answer, 304s
    # included; then a 304 for a page the reader has (ETag, Last-Modified), then the page cache, which
    # keeps and answers pages as the rest of the stack finished them.
    "listhaven.site.middleware.ForwardedClientMiddleware",  # first: everything after reads the client's address
    "listhaven.site.middleware.SecurityHeadersMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "listhaven.web.page_cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "listhaven.site.middleware.StaticFilesMiddleware",  # before sessions: static needs none of them
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "listhaven.site.middleware.PrivateResponsesMiddleware",  # after auth: it asks who is signed in
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "listhaven.site.urls"
WSGI_APPLICATION = "listhaven.site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# "default" stays the per-process memory cache the archive pages use. Rate limits (django-ratelimit)
# count in the database cache, shared by every web process so a limit holds across them (its counts
# taken row by row and kept for their whole window: site/counting_cache.py); its table
# is made by a migration (lists 0005), so `listhaven migrate` creates it. The database cache drops
# a third of its rows, live counts too, whenever it holds more than MAX_ENTRIES (Django's default:
# 300, which a few hundred forged senders in a day reach, resetting every limit); it removes the
# expired rows first, so a live count is dropped only past 100,000 counts made within a day.
CACHE_TABLE = "listhaven_cache"
RATELIMIT_CACHE_ENTRIES = 100_000
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {"BACKEND": "listhaven.site.counting_cache.CountingDatabaseCache", "LOCATION": CACHE_TABLE,
                  "OPTIONS": {"MAX_ENTRIES": RATELIMIT_CACHE_ENTRIES}},
    # Rendered archive pages (web/page_cache.py): files, so every web process shares them and a
    # write never waits for the database's lock.
    "pages": {
        "BACKEND": "listhaven.web.page_cache.PageFileCache",
        "LOCATION": str(DATA_DIR / "page-cache"),
        "OPTIONS": {"MAX_ENTRIES": _declared["PAGE_CACHE_ENTRIES"], "CULL_FREQUENCY": 4},
    },
}
RATELIMIT_USE_CACHE = "ratelimit"

STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")

# Passwords set by `listhaven createadmin` (on a terminal or from a script) and on the password reset
# page are checked by Django's usual four: not like the account's name or address, 8 characters at
# least, not a common password, not all digits.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/accounts/"  # accounts/views.landing sends owners and moderators to /manage/
CSRF_FAILURE_VIEW = "listhaven.web.views.errors.csrf_failure"
LOGOUT_REDIRECT_URL = "/"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A site served over HTTPS sends its session and CSRF cookies over HTTPS only: a browser lured to
# http:// (a link, a network that rewrites one) would otherwise hand the session to whoever listens.
# A site on http:// (make run, a test) keeps them usable.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = str(_declared["SITE_URL"]).lower().startswith("https://")
# And its answers carry Strict-Transport-Security (site/middleware.py security_headers), 304s too, so a
# browser that has visited once never asks over http:// again (where a network could answer for it).
# Its host only: other names under the same domain may not be on HTTPS. Never on an http:// site.
SECURE_HSTS_SECONDS = int(_declared["HSTS_SECONDS"]) if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_traceback": {"()": "listhaven.site.log_filters.WithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "console_one_line": {"class": "logging.StreamHandler", "filters": ["without_traceback"]},
    },
    "root": {"handlers": ["console"], "level": _declared["LOG_LEVEL"]},
    # A Host not in ALLOWED_HOSTS: one line (the host), not a traceback per scanner's request.
    "loggers": {"django.security.DisallowedHost": {"handlers": ["console_one_line"], "propagate": False}},
}
