"""Placeholder until this page is written: every route answers 404."""

from django.http import Http404



def attachment(request, **kwargs):
    raise Http404("not available yet")


def list_mbox(request, **kwargs):
    raise Http404("not available yet")


def message_mbox(request, **kwargs):
    raise Http404("not available yet")


def messages_feed(request, **kwargs):
    raise Http404("not available yet")


def month_mbox(request, **kwargs):
    raise Http404("not available yet")


def month_pipermail_text(request, **kwargs):
    raise Http404("not available yet")


def raw_message(request, **kwargs):
    raise Http404("not available yet")


def search_mbox(request, **kwargs):
    raise Http404("not available yet")


def thread_feed(request, **kwargs):
    raise Http404("not available yet")


def thread_mbox(request, **kwargs):
    raise Http404("not available yet")


def threads_feed(request, **kwargs):
    raise Http404("not available yet")
