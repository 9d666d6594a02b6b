"""For search engines: `/robots.txt`, `/sitemap.xml` (an index naming one sitemap per PUBLIC list,
never a members- or owners-only one, whoever asks) and `/LIST/sitemap.xml` (the list's overview,
its months and its threads, 45,000 threads a page; a list the reader may not read answers 404 like
any of its URLs). Pages of non-public lists also say `noindex` (site/middleware.py, base.html)."""

from __future__ import annotations

from math import ceil
from xml.sax.saxutils import escape

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from listhaven.archive.models import Thread
from listhaven.lists.models import MailingList
from listhaven.web.access import get_readable_list
from listhaven.web.months import month_counts

PER_PAGE = 45_000  # the protocol allows 50,000 URLs a file; the overview and months come first
XML = "application/xml; charset=utf-8"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def _xml(body: str) -> HttpResponse:
    return HttpResponse(f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n', content_type=XML)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /manage/", "Disallow: /accounts/", "Disallow: /admin/",
             f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}"]  # fmt: skip
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """Public lists only: the index is the same for every reader (a member's private lists are
    theirs to read, not to publish)."""
    public = MailingList.objects.filter(archive_policy="public").annotate(
        thread_rows=Count("threads", filter=Q(threads__message_count__gt=0))
    ).order_by("name")
    entries = []
    for mlist in public:
        url = request.build_absolute_uri(reverse("list-sitemap", args=[mlist.name]))
        for page in range(1, max(1, ceil(mlist.thread_rows / PER_PAGE)) + 1):
            entries.append(f"<sitemap><loc>{escape(url if page == 1 else f'{url}?page={page}')}</loc></sitemap>")
    return _xml(f"<sitemapindex {NS}>\n" + "\n".join(entries) + "\n</sitemapindex>")


@require_safe
def list_sitemap(request: HttpRequest, list_name: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404("No such page.") from None
    threads = Thread.objects.filter(mailing_list=mlist, message_count__gt=0).order_by("first_date", "id")
    chunk = threads.values_list("public_id", "last_date")[(page - 1) * PER_PAGE : page * PER_PAGE]
    if page < 1 or (page > 1 and not chunk):
        raise Http404("No such page.")
    urls: list[tuple[str, str]] = []
    if page == 1:
        urls.append((reverse("list", args=[mlist.name]), ""))
        urls += [(reverse("month", args=[mlist.name, month.key]), "") for month, _ in month_counts(mlist)]
    urls += [(reverse("thread", args=[mlist.name, tid]), last.date().isoformat() if last else "") for tid, last in chunk]
    rows = [
        f"<url><loc>{escape(request.build_absolute_uri(path))}</loc>" + (f"<lastmod>{day}</lastmod>" if day else "") + "</url>"
        for path, day in urls
    ]
    return _xml(f"<urlset {NS}>\n" + "\n".join(rows) + "\n</urlset>")
