"""The JSON API's URLs, under /api/ (described by /api/openapi.json and docs/api.md)."""

from django.urls import path, re_path

from listhaven.web.api import manage_bans, manage_requests, manage_views, views

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
    # Owners and moderators, with an API token (web/api/manage_views.py).
    path("manage/lists", manage_views.lists, name="api-manage-lists"),
    path("manage/lists/<str:list_name>/members", manage_views.members, name="api-manage-members"),
    path("manage/lists/<str:list_name>/members/<int:member_id>", manage_views.member, name="api-manage-member"),
    path("manage/lists/<str:list_name>/held", manage_views.held, name="api-manage-held"),
    path("manage/lists/<str:list_name>/held/<int:held_id>", manage_views.held_post, name="api-manage-held-post"),
    path("manage/lists/<str:list_name>/settings", manage_views.list_settings, name="api-manage-settings"),
    path("manage/lists/<str:list_name>/requests", manage_requests.requests, name="api-manage-requests"),
    path("manage/lists/<str:list_name>/requests/<int:request_id>", manage_requests.decide, name="api-manage-request"),
    path("manage/lists/<str:list_name>/bans", manage_bans.bans, name="api-manage-bans"),
    path("manage/lists/<str:list_name>/bans/<int:ban_id>", manage_bans.ban, name="api-manage-ban"),
    re_path(r"^(?P<rest>(?s:.*))$", views.unknown),  # (?s): a path with a newline is a JSON 404 too
]
