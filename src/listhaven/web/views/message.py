"""Placeholder until this page is written: every route answers 404."""

from django.http import Http404



def by_message_id(request, **kwargs):
    raise Http404("not available yet")


def message_page(request, **kwargs):
    raise Http404("not available yet")
