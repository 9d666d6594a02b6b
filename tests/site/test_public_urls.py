"""Absolute links for feeds and mail come from SITE_URL (LISTHAVEN_SITE_URL), default http://127.0.0.1:8000."""

from __future__ import annotations

import os
import subprocess
import sys

from django.urls import resolve

from listhaven.site.public_urls import list_url, message_url, site_url, thread_url

PID = "A" * 32


def test_links_start_with_the_setting_and_resolve_to_the_pages(settings):
    settings.SITE_URL = "https://lists.example.org"
    assert site_url() == "https://lists.example.org/"
    assert site_url("listinfo/ltp") == "https://lists.example.org/listinfo/ltp"
    for url, page in ((list_url("ltp"), "list"), (message_url("ltp", PID), "message"), (thread_url("ltp", PID), "thread")):
        assert url.startswith("https://lists.example.org/ltp/")
        assert resolve(url.removeprefix("https://lists.example.org")).url_name == page


def _site_url_in_a_fresh_process(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LISTHAVEN_SITE_URL"}
    if value is not None:
        env["LISTHAVEN_SITE_URL"] = value
    env["DJANGO_SETTINGS_MODULE"] = "listhaven.site.settings"
    code = "import django; django.setup(); from listhaven.site.public_urls import message_url; print(message_url('ltp', 'A' * 32))"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_environment_variable_sets_it_and_the_default_is_the_local_server():
    assert _site_url_in_a_fresh_process("https://mail.example.net/") == f"https://mail.example.net/ltp/message/{PID}/"
    assert _site_url_in_a_fresh_process(None) == f"http://127.0.0.1:8000/ltp/message/{PID}/"
