"""Placeholder until this page is written: every route answers 404."""

from django.http import Http404



def global_search(request, **kwargs):
    raise Http404("not available yet")


def list_search(request, **kwargs):
    raise Http404("not available yet")


def mbox(request, **kwargs):
    raise Http404("not available yet")


def search_help(request, **kwargs):
    raise Http404("not available yet")
