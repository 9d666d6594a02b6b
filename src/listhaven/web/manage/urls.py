"""/manage/: the owners' and moderators' pages (every view guarded by web/manage/guard.py)."""

from django.urls import path

from listhaven.web.manage import (
    bans,
    erasure,
    held,
    invitations,
    list_settings,
    members,
    notices,
    removal,
    requests,
    site,
)

urlpatterns = [
    path("", site.dashboard, name="manage"),
    path("lists/new/", site.new_list, name="manage-new-list"),
    path("quarantine/", site.quarantine, name="manage-quarantine"),
    path("erase/", erasure.erase, name="manage-erase"),
    path("<list:list_name>/", site.list_home, name="manage-list"),
    path("<list:list_name>/remove/", site.remove, name="manage-remove"),
    path("<list:list_name>/held/", held.held_queue, name="manage-held"),
    path("<list:list_name>/held/<int:held_id>/", held.held_post, name="manage-held-post"),
    path("<list:list_name>/bans/", bans.bans, name="manage-bans"),
    path("<list:list_name>/erase/", erasure.erase_on_list, name="manage-list-erase"),
    path("<list:list_name>/members/", members.roster, name="manage-members"),
    path("<list:list_name>/members/add/", members.mass_subscribe, name="manage-members-add"),
    path("<list:list_name>/members/remove/", members.mass_remove, name="manage-members-remove"),
    path("<list:list_name>/members/invite/", invitations.invite_members, name="manage-members-invite"),
    path("<list:list_name>/requests/", requests.requests, name="manage-requests"),
    path("<list:list_name>/members.csv", members.export_csv, name="manage-members-csv"),
    path("<list:list_name>/members/<int:member_id>/", members.member, name="manage-member"),
    path("<list:list_name>/settings/", list_settings.list_settings, name="manage-settings"),
    path("<list:list_name>/notices/", notices.notices, name="manage-notices"),
    path("<list:list_name>/notices/<slug:name>/", notices.notice, name="manage-notice"),
    path("<list:list_name>/history/", list_settings.history, name="manage-history"),
    path("<list:list_name>/message/<pid:message_hash>/remove/", removal.remove_message, name="manage-remove-message"),
]
