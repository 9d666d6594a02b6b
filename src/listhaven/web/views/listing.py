"""Placeholder until this page is written: every route answers 404."""

from django.http import Http404



def month(request, **kwargs):
    raise Http404("not available yet")


def overview(request, **kwargs):
    raise Http404("not available yet")
