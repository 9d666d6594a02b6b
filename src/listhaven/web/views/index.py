"""Placeholder until this page is written: every route answers 404."""

from django.http import Http404



def listinfo(request, **kwargs):
    raise Http404("not available yet")


def lists_index(request, **kwargs):
    raise Http404("not available yet")
