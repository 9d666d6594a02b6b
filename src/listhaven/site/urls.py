"""Root URLs: the archive's pages come from listhaven.web."""

from django.contrib import admin
from django.urls import include, path

# settings.py installs the admin without autodiscovery, so the command line need not import it
admin.autodiscover()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("listhaven.web.urls")),
]
