"""Placeholder until this page is written: every route answers 404."""

from django.http import Http404



def list_root(request, **kwargs):
    raise Http404("not available yet")


def period_page(request, **kwargs):
    raise Http404("not available yet")


def text_archive(request, **kwargs):
    raise Http404("not available yet")
