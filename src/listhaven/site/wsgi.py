"""WSGI entry point for gunicorn: ``gunicorn listhaven.site.wsgi``.

Kept archive pages are answered by web.page_cache.CachedPages before Django runs at all."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
django_application = get_wsgi_application()

from listhaven.web.page_cache import CachedPages  # noqa: E402 - needs the apps loaded above

application = CachedPages(django_application)
