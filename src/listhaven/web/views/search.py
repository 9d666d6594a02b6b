"""Search pages: one list (/LIST/search), every readable list (/search), and the syntax help.

A query the parser cannot understand is answered with 400 and the parser's explanation."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from listhaven.archive.search import QueryError, search
from listhaven.web.access import get_readable_list, readable_lists

PER_PAGE = 20


def global_search(request: HttpRequest) -> HttpResponse:
    return _search_page(request, list(readable_lists(request)), None)


def list_search(request: HttpRequest, list_name: str) -> HttpResponse:
    mlist = get_readable_list(request, list_name)
    return _search_page(request, [mlist], mlist)


def search_help(request: HttpRequest) -> HttpResponse:
    return render(request, "listhaven/search_help.html", {})


def _options(request: HttpRequest) -> tuple[str, str, str | None, int]:
    query = request.GET.get("q", "").strip()
    sort = "date" if request.GET.get("sort") == "date" else "relevance"
    group = "thread" if request.GET.get("group") == "thread" else None
    raw_page = request.GET.get("page", "1")
    if not raw_page.isdigit() or len(raw_page) > 4 or int(raw_page) < 1:
        raise Http404("There is no such page of results.")
    return query, sort, group, int(raw_page)


def _search_page(request: HttpRequest, mlists: list, mlist: object | None) -> HttpResponse:
    query, sort, group, page = _options(request)
    context: dict = {"mlist": mlist, "show_list": mlist is None, "query": query, "sort": sort, "group": group, "error": None, "results": None}
    status = 200
    if query:
        try:
            results = search(mlists, query, sort=sort, group=group, page=page, per_page=PER_PAGE)  # type: ignore[arg-type]
        except QueryError as exc:
            context["error"] = str(exc)
            status = 400
        else:
            if page > 1 and not (results.hits or results.threads):
                raise Http404("There is no such page of results.")
            context["results"] = results
            context["links"] = _links(query, sort, group, page)
    return render(request, "listhaven/search.html", context, status=status)


def _links(query: str, sort: str, group: str | None, page: int) -> dict[str, str]:
    def href(**changes: object) -> str:
        params = {"q": query, "sort": sort, "group": group or "", "page": page}
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None, 1, "relevance")})

    return {
        "previous": href(page=page - 1),
        "next": href(page=page + 1),
        "by_relevance": href(sort="relevance", page=1),
        "by_date": href(sort="date", page=1),
        "messages": href(group="", page=1),
        "threads": href(group="thread", page=1),
    }
