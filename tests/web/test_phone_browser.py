"""Pages at a phone's width (375 CSS pixels) in Chromium against `listhaven run`: none is wider than the
screen, so nobody has to scroll the whole page sideways to reach a button. Long addresses, a long URL in a
found message and the owners' six-column tables are what used to push pages past the edge."""

from __future__ import annotations

import pytest

from tests.web.conftest import running_site
from tests.web.manage.test_owner_browser import signed_in
from tests.web.test_members_browser import Site

pytestmark = pytest.mark.browser

LIST = "garden@lists.example.org"
OWNER = "olive@example.org"
LONG_MEMBER = "a.member.with.a.rather.long.address.for.a.phone@allotments.example.org"
LONG_URL = "https://docs.example.org/harbour/retry/" + "nested-section/" * 12 + "retry-policy.html"
PHONE = {"width": 375, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("phone-site")
    setup = [["list", "create", LIST], ["members", "add", "garden", OWNER, "--role", "owner"],
             ["members", "add", "garden", LONG_MEMBER, OWNER]]  # fmt: skip
    with running_site(data, setup) as (url, lmtp):
        yield Site(url, lmtp, data)


def post(site: Site, sender: str, subject: str, text: str) -> None:
    raw = (f"From: <{sender}>\r\nTo: {LIST}\r\nSubject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@example>\r\n"
           f"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\n{text}\r\n").encode()  # fmt: skip
    assert site.lmtp(sender, LIST, raw) == 250


def overflow(page, path: str) -> int:
    """How many pixels `path` is wider than the phone's screen (0: it fits)."""
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    return max(0, page.evaluate("document.documentElement.scrollWidth") - PHONE["width"])


def test_reader_and_owner_pages_fit_a_phone(site, browser):
    post(site, LONG_MEMBER, "Retry docs", f"The retry policy is described at {LONG_URL} in full.")
    post(site, "a.visitor.from.a.rather.long.domain.name@outside.example.net", "A question from outside the list",
         "Hello?")  # a non-member: held  # fmt: skip
    site.mail_to(LONG_MEMBER, r"Retry docs")  # archived and sent: the search finds it now

    reader = browser.new_context(base_url=site.url, viewport=PHONE).new_page()
    assert overflow(reader, "/garden/search?q=retry") == 0
    assert reader.locator(".hits mark").count() > 0  # the page measured holds the found message

    context, page = signed_in(site, browser, OWNER)
    page.set_viewport_size(PHONE)
    widths = {path: overflow(page, path) for path in ("/manage/garden/held/", "/manage/garden/members/",
                                                       "/manage/garden/settings/", "/manage/garden/", "/accounts/")}  # fmt: skip
    assert widths == dict.fromkeys(widths, 0)
    page.goto("/manage/garden/held/")
    page.click("a:has-text('A question from outside the list')")
    page.locator("details.header-fields summary").click()  # the post's header fields, long values and all
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/manage/garden/members/")
    assert page.locator("table.grid").inner_text().count("@") >= 2  # the roster measured holds its rows
    context.close()
