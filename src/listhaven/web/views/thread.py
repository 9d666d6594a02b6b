"""Placeholder until this page is written: every route answers 404."""

from django.http import Http404



def thread_page(request, **kwargs):
    raise Http404("not available yet")
