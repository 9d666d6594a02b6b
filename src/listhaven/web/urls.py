"""Every public URL of the archive (docs/urls.md). These are part of the product: never break one."""

from django.urls import include, path, re_path, register_converter

from listhaven.web import converters
from listhaven.web.manage.guard import manage
from listhaven.web.views import (
    by_address,
    downloads,
    hyperkitty,
    index,
    listing,
    mailman_cgi,
    message,
    outbox,
    pipermail,
    search,
    sitemap,
    thread,
    withdraw,
)
from listhaven.web.views.members import confirm, listinfo, options, reenable, unsubscribe

register_converter(converters.ListName, "list")
register_converter(converters.Month, "month")
register_converter(converters.PublicId, "pid")

urlpatterns = [
    path("", index.lists_index, name="index"),
    path("api/", include("listhaven.web.api.urls")),
    path("search", search.global_search, name="search"),
    path("search/help", search.search_help, name="search-help"),
    path("robots.txt", sitemap.robots_txt, name="robots"),
    path("sitemap.xml", sitemap.sitemap_index, name="sitemap"),
    path("listinfo/<list:list_name>", listinfo.listinfo, name="listinfo"),
    path("listinfo/<list:list_name>/", listinfo.listinfo),
    path("confirm/<str:token>", confirm.confirm_page, name="confirm"),
    # Site administration
    path("accounts/", include("listhaven.web.accounts.urls")),
    path("manage/outbox/", manage("site")(outbox.outbox_index), name="outbox"),
    path("manage/outbox/<str:key>/", manage("site")(outbox.outbox_message), name="outbox-message"),
    path("manage/outbox/<str:key>/raw", manage("site")(outbox.outbox_raw), name="outbox-raw"),
    # Owners, moderators and site administrators (web/manage/guard.py guards each page)
    path("manage/", include("listhaven.web.manage.urls")),
    # Pipermail's links (public, and Mailman 2's private archive under /mailman/private/), answered with 301
    path("pipermail/", mailman_cgi.site_root),
    path("pipermail/<list:list_name>/", pipermail.list_root, name="pipermail-list"),
    *(
        pattern
        for prefix in ("pipermail", "mailman/private")
        for pattern in (
            re_path(rf"^{prefix}/(?P<list_name>[\w.-]+)/attachments/(?P<day>\d{{8}})/(?P<digest>[0-9a-fA-F]{{8}})/"
                    r"(?P<filename>[^/]+)$", pipermail.attachment),
            re_path(rf"^{prefix}/(?P<list_name>[\w.-]+)/(?P<period>[^/]+)/(?P<page>[^/]*)$", pipermail.period_page),
            re_path(rf"^{prefix}/(?P<list_name>[\w.-]+)/(?P<archive_file>[^/]+\.txt(?:\.gz)?)$", pipermail.text_archive),
        )
    ),
    path("mailman/private/<list:list_name>/", pipermail.list_root),
    # Mailman 2's other pages (listinfo, options, admin), answered with 301 (web/views/mailman_cgi.py)
    re_path(r"^mailman/listinfo/?$", mailman_cgi.site_root),
    re_path(r"^mailman/(?:listinfo|subscribe)/(?P<list_name>[\w.-]+)/?$", mailman_cgi.listinfo),
    re_path(r"^mailman/options/(?P<list_name>[\w.-]+)(?:/[^/]*)?/?$", mailman_cgi.options),
    re_path(r"^mailman/admin/?$", mailman_cgi.admin),
    re_path(r"^mailman/admin/(?P<list_name>[\w.-]+)(?:/[\w/]*)?$", mailman_cgi.admin),
    re_path(r"^mailman/admindb/(?P<list_name>[\w.-]+)/?$", mailman_cgi.admin, {"held": True}),
    # HyperKitty's links (Mailman 3), under /hyperkitty/ and /archives/, answered with 301
    *(
        pattern
        for prefix in ("hyperkitty", "archives")
        for pattern in (
            re_path(rf"^{prefix}/list/(?P<address>[^/@\s]+@[^/@\s]+)/$", hyperkitty.list_root),
            re_path(rf"^{prefix}/list/(?P<address>[^/@\s]+@[^/@\s]+)/(?P<year>\d{{4}})/(?P<month>\d{{1,2}})/"
                    r"(?:(?P<day>\d{1,2})/)?$", hyperkitty.month),
            re_path(rf"^{prefix}/list/(?P<address>[^/@\s]+@[^/@\s]+)/message/(?P<message_hash>[A-Z2-7]{{32}})/$",
                    hyperkitty.message),
            re_path(rf"^{prefix}/list/(?P<address>[^/@\s]+@[^/@\s]+)/message/(?P<message_hash>[A-Z2-7]{{32}})/"
                    r"attachment/(?P<counter>\d+)/(?P<filename>[^/]+)$", hyperkitty.attachment),
            re_path(rf"^{prefix}/list/(?P<address>[^/@\s]+@[^/@\s]+)/thread/(?P<thread_id>[A-Z2-7]{{32}})/$",
                    hyperkitty.thread),
        )
    ),
    # A list named by its address: 301 to its short name
    re_path(r"^(?P<address>[^/@]+@[^/@]+)/(?P<rest>.*)$", by_address.list_by_address, name="list-by-address"),
    # One list
    path("<list:list_name>/", listing.overview, name="list"),
    path("<list:list_name>/held/withdraw/<str:token>", withdraw.withdraw, name="withdraw-held"),
    path("<list:list_name>/options/", options.options, name="member-options"),
    path("<list:list_name>/options/<str:token>", options.options_link, name="member-options-link"),
    path("<list:list_name>/unsubscribe/<str:token>", unsubscribe.one_click, name="one-click-unsubscribe"),
    path("<list:list_name>/reenable/<str:token>", reenable.reenable_page, name="bounce-reenable"),
    path("<list:list_name>/search", search.list_search, name="list-search"),
    path("<list:list_name>/search.mbox.gz", downloads.search_mbox, name="search-mbox"),
    path("<list:list_name>/sitemap.xml", sitemap.list_sitemap, name="list-sitemap"),
    path("<list:list_name>/feed.atom", downloads.messages_feed, name="feed-messages"),
    path("<list:list_name>/threads.atom", downloads.threads_feed, name="feed-threads"),
    path("<list:list_name>/all.mbox.gz", downloads.list_mbox, name="list-mbox"),
    path("<list:list_name>/<month:month>/", listing.month, name="month"),
    path("<list:list_name>/<month:month>.mbox.gz", downloads.month_mbox, name="month-mbox"),
    re_path(r"^(?P<list_name>[\w.-]+)/(?P<period>\d{4}-[A-Za-z]+)\.txt\.gz$", downloads.month_pipermail_text, name="month-text"),
    path("<list:list_name>/thread/<pid:thread_id>/", thread.thread_page, name="thread"),
    path("<list:list_name>/thread/<pid:thread_id>/mbox", downloads.thread_mbox, name="thread-mbox"),
    path("<list:list_name>/thread/<pid:thread_id>/feed.atom", downloads.thread_feed, name="feed-thread"),
    path("<list:list_name>/message/<pid:message_hash>/", message.message_page, name="message"),
    path("<list:list_name>/message/<pid:message_hash>/raw", downloads.raw_message, name="message-raw"),
    path("<list:list_name>/message/<pid:message_hash>/mbox", downloads.message_mbox, name="message-mbox"),
    path(
        "<list:list_name>/message/<pid:message_hash>/attachment/<int:index>/<path:filename>",
        downloads.attachment,
        name="attachment",
    ),
    path("<list:list_name>/msgid/<path:message_id>", message.by_message_id, name="msgid"),
]
