"""Root URLs: the archive's pages come from listhaven.web."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("listhaven.web.urls")),
]
