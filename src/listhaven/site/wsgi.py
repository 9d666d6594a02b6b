"""WSGI entry point for gunicorn: ``gunicorn listhaven.site.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
application = get_wsgi_application()
