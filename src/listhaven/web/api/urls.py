"""The JSON API's URLs, under /api/ (described by /api/openapi.json and docs/api.md)."""

from django.urls import path, re_path

from listhaven.web.api import views

urlpatterns = [
    path("", views.api_root, name="api-root"),
    path("openapi.json", views.openapi_json, name="api-openapi"),
    path("lists", views.lists, name="api-lists"),
    path("lists/<str:list_name>", views.list_detail, name="api-list"),
    path("lists/<str:list_name>/months", views.months, name="api-months"),
    path("lists/<str:list_name>/threads", views.threads, name="api-threads"),
    path("lists/<str:list_name>/threads/<str:thread_id>", views.thread, name="api-thread"),
    path("lists/<str:list_name>/messages/<str:message_hash>", views.message, name="api-message"),
    path("lists/<str:list_name>/search", views.search, name="api-search"),
    path("lists/<str:list_name>/stats", views.stats, name="api-stats"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]
