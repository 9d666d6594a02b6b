"""Pages at a phone's width (375 CSS pixels) in Chromium against `listhaven run`: none is wider than the
screen, so nobody has to scroll the whole page sideways to reach a button. Long addresses, a long URL in a
found message and the owners' six-column tables are what used to push pages past the edge."""

from __future__ import annotations

import os
import subprocess
from itertools import pairwise

import pytest

from tests.web.conftest import LISTHAVEN, running_site
from tests.web.manage.test_owner_browser import signed_in
from tests.web.test_members_browser import Site

pytestmark = pytest.mark.browser

LIST = "garden@lists.example.org"
OWNER = "olive@example.org"
LONG_MEMBER = "a.member.with.a.rather.long.address.for.a.phone@allotments.example.org"
DESK_MEMBER = "margaret.featherstonehaugh@allotments.example.org"  # long, as real addresses are
LONG_URL = "https://docs.example.org/harbour/retry/" + "nested-section/" * 12 + "retry-policy.html"
PHONE = {"width": 375, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("phone-site")
    setup = [["list", "create", LIST], ["members", "add", "garden", OWNER, "--role", "owner"],
             ["members", "add", "garden", LONG_MEMBER, OWNER, DESK_MEMBER]]  # fmt: skip
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


# The text pieces of the table cell (among those `cells` selects) holding `address`: each piece's text, the lines it
# takes and the top of its first line. The address is broken only where a piece ends.
ADDRESS_PIECES = """([cells, address]) => {
  const cell = [...document.querySelectorAll(cells)].find(td => td.textContent === address);
  if (!cell) return null;
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  const pieces = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const tops = [...new Set([...range.getClientRects()].map(r => Math.round(r.top)))];
    pieces.push([node.data, tops.length, Math.min(...tops)]);
  }
  return pieces;
}"""
OUTBOX_TO = "table.outbox tbody td:nth-child(2)"
ROSTER_ADDRESS = "table.grid.members tbody td:nth-child(1)"
HELD_SENDER = "form.held-bulk table.grid tbody td:nth-child(3)"
DESK_VISITOR = "bartholomew.fotheringay@outside.example.net"
LONG_VISITOR = "a.visitor.from.a.rather.long.domain.name@outside.example.net"


def test_the_outbox_keeps_an_address_whole_or_breaks_it_at_its_at_sign_and_dots(site, browser):
    """The To column wrapped addresses at any character ("...@allotments.exa" / "mple.org"). On a wide
    screen an address as long as real ones are is on one line; on a phone, where it cannot be, it breaks only after its "@" or
    before a ".", as mail clients break an address. The site's owner, who signed in by a link, is made
    the administrator who may read the outbox by `listhaven createadmin --email` alone."""
    post(site, LONG_MEMBER, "Outbox addresses", "Hello, garden.")
    site.mail_to(LONG_MEMBER, "Outbox addresses")
    site.mail_to(DESK_MEMBER, "Outbox addresses")
    context, page = signed_in(site, browser, OWNER)
    made = subprocess.run([str(LISTHAVEN), "createadmin", "--email", OWNER], input=b"", capture_output=True,
                          timeout=120, env={**os.environ, "LISTHAVEN_DATA": str(site.outbox.parent)})  # fmt: skip
    assert made.returncode == 0 and b"is now an administrator" in made.stdout, made.stderr
    page.set_viewport_size({"width": 1200, "height": 900})
    assert page.goto("/manage/outbox/").status == 200
    wide = page.evaluate(ADDRESS_PIECES, [OUTBOX_TO, DESK_MEMBER])
    assert wide, "the outbox lists no mail to the address"
    assert len({top for _, _, top in wide}) == 1 and all(lines == 1 for _, lines, _ in wide), wide
    wider = page.evaluate(ADDRESS_PIECES, [OUTBOX_TO, LONG_MEMBER])  # wider than the column may be: broken at a dot or none
    assert "".join(text for text, _, _ in wider) == LONG_MEMBER and all(lines == 1 for _, lines, _ in wider), wider

    for width in (680, 800, 1000):  # a table still, not yet the phone's scroller: it fits the screen
        page.set_viewport_size({"width": width, "height": 900})
        assert page.goto("/manage/outbox/").status == 200
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size(PHONE)
    assert overflow(page, "/manage/outbox/") == 0
    narrow = page.evaluate(ADDRESS_PIECES, [OUTBOX_TO, LONG_MEMBER])
    assert "".join(text for text, _, _ in narrow) == LONG_MEMBER
    assert len({top for _, _, top in narrow}) > 1, "the address fits a phone's column: nothing measured"
    assert all(lines == 1 for _, lines, _ in narrow), narrow  # no piece broken inside
    assert all(text.startswith(".") or previous.endswith("@") for (previous, _, _), (text, _, _) in pairwise(narrow))
    context.close()


def assert_whole_or_broken_at_at_sign_and_dots(pieces: list, address: str, *, one_line: bool) -> None:
    """`pieces` (ADDRESS_PIECES) hold `address`, no piece broken inside; on one line, or else broken at least once
    and only after its "@" or before a "."."""
    assert pieces, f"no cell holds {address}"
    assert "".join(text for text, _, _ in pieces) == address
    assert all(lines == 1 for _, lines, _ in pieces), pieces  # no piece broken inside
    if one_line:
        assert len({top for _, _, top in pieces}) == 1, pieces
    else:
        assert len({top for _, _, top in pieces}) > 1, f"{address} fits on one line: nothing measured"
    assert all(text.startswith(".") or previous.endswith("@") for (previous, _, _), (text, _, _) in pairwise(pieces))


def test_the_roster_and_held_posts_keep_an_address_whole_or_break_it_at_its_at_sign_and_dots(site, browser):
    """The roster's Address column and the held posts' From column broke addresses at any letter or, the roster's
    being kept from wrapping, not at all. At 1200 pixels an address as long as real ones are is on one line and a
    longer one is broken only at a dot or its "@"; at 680 to 1000 pixels the pages are no wider than the screen; on
    a phone, where the tables scroll inside the page, an address breaks only after its "@" or before a "."."""
    post(site, DESK_VISITOR, "Held whole", "Hello from outside.")  # non-members: held
    post(site, LONG_VISITOR, "Held and broken", "Hello again.")
    context, page = signed_in(site, browser, OWNER)
    checked = ((ROSTER_ADDRESS, "/manage/garden/members/", DESK_MEMBER, LONG_MEMBER),
               (HELD_SENDER, "/manage/garden/held/", DESK_VISITOR, LONG_VISITOR))  # fmt: skip
    page.set_viewport_size({"width": 1200, "height": 900})
    for cells, path, desk, long in checked:
        assert page.goto(path).status == 200
        assert_whole_or_broken_at_at_sign_and_dots(page.evaluate(ADDRESS_PIECES, [cells, desk]), desk, one_line=True)
        wider = page.evaluate(ADDRESS_PIECES, [cells, long])
        assert wider and "".join(text for text, _, _ in wider) == long, wider
        assert all(lines == 1 for _, lines, _ in wider), wider  # broken at a dot or "@", or not at all
    for width in (680, 800, 1000):
        page.set_viewport_size({"width": width, "height": 900})
        for _, path, _, _ in checked:
            assert page.goto(path).status == 200
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
    page.set_viewport_size(PHONE)
    for cells, path, _, long in checked:
        assert overflow(page, path) == 0
        assert_whole_or_broken_at_at_sign_and_dots(page.evaluate(ADDRESS_PIECES, [cells, long]), long, one_line=False)
    context.close()


# The pieces of the text of the elements `selector` picks (split at spaces, after a hyphen but not one in a number such
# as a date's, and where a text node ends:
# at an address's <wbr> or an element) that are broken across lines: each piece, its width on one line and the room
# its box has (the cell's content box, or the line's). Then the most lines the text of a cell in a Reason column
# takes.
BROKEN_PIECES = """selector => {
  const measure = document.createElement('canvas').getContext('2d');
  const broken = [];
  let lines = 0;
  for (const box of document.querySelectorAll(selector)) {
    if (!box.getClientRects().length) continue;
    const style = getComputedStyle(box);
    const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      measure.font = getComputedStyle(node.parentElement).font;
      for (const piece of node.data.matchAll(/(?:[^\\s-]|-(?=\\d))+-?|-/g)) {
        const range = document.createRange();
        range.setStart(node, piece.index);
        range.setEnd(node, piece.index + piece[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push([piece[0], Math.round(measure.measureText(piece[0]).width), Math.floor(room)]);
      }
    }
    const head = box.closest('table')?.tHead?.rows[0]?.cells[box.cellIndex];
    if (box.matches('td') && head?.textContent === 'Reason') {
      const range = document.createRange();
      range.selectNodeContents(box);
      lines = Math.max(lines, new Set([...range.getClientRects()].map(r => Math.round(r.top))).size);
    }
  }
  return [broken, lines];
}"""
CELLS = "table.grid tbody td, table.outbox tbody td"
WORD = 96  # pixels, 6rem: wider than any word of the pages' text, narrower than a URL or an address
WORDY_SUBJECT = "Proposal for the autumn working party: compost bays, the water butts and who brings the wheelbarrows"
URL_SUBJECT = "Re: https://docs.example.org/harbour/retry/nested-section/nested-section/retry-policy.html broken"
CC = "someone.else.with.a.long.name@elsewhere.example.com, another.reader@allotments.example.org"
ARCHIVE = "garden-archive-from-the-old-server.2019-January.mbox"  # a quarantined message's origin: its file's name


def assert_words_whole(page, selector: str, where: object) -> int:
    """No piece of text in `selector` at most WORD wide is broken, and a wider one only where its box is narrower
    than it; returns the most lines a Reason takes."""
    broken, lines = page.evaluate(BROKEN_PIECES, selector)
    assert all(width > WORD and width > room for _, width, room in broken), (where, broken)
    return lines


def test_owners_tables_break_no_word_inside_and_scroll_rather_than_squeeze(site, browser, tmp_path):
    """The owners' tables broke cells anywhere, so a column could be squeezed below its words: "membe/r" in the
    roster's Role at 1200 pixels, a held post's Reason and Subject a few letters wide (17 lines a row). Now, at
    a phone's width and at 680 to 1200 pixels, in the roster, the held posts and the quarantine no word is broken
    inside, only a piece wider than its column (a URL, an address in a reason); a Reason takes a few lines at most;
    the page is never wider than the screen (a table scrolls inside its .grid-scroll instead). The quarantine's
    origin and a held post's page break an address only after its "@" or before a "."."""
    post(site, DESK_VISITOR, WORDY_SUBJECT, "Hello from outside.")  # non-members: held, the reason naming the sender
    raw = (f"From: <{LONG_VISITOR}>\r\nTo: {LIST}\r\nCc: {CC}\r\nSubject: {URL_SUBJECT}\r\n"
           f"Message-ID: <url.subject@example>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n").encode()  # fmt: skip
    assert site.lmtp(LONG_VISITOR, LIST, raw) == 250
    (tmp_path / ARCHIVE).write_bytes(b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nnot a mail message at all\n")
    env = {**os.environ, "LISTHAVEN_DATA": str(site.outbox.parent)}
    imported = subprocess.run([str(LISTHAVEN), "import", "garden", str(tmp_path / ARCHIVE)], capture_output=True,
                              timeout=120, env=env)  # fmt: skip
    assert imported.returncode == 0 and b"quarantined" in imported.stdout, imported.stderr
    context, page = signed_in(site, browser, OWNER)
    made = subprocess.run([str(LISTHAVEN), "createadmin", "--email", OWNER], input=b"", capture_output=True,
                          timeout=120, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr  # the quarantine is the site's administrators'
    for width in (PHONE["width"], 680, 800, 1000, 1200):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/manage/garden/members/", "/manage/garden/held/", "/manage/quarantine/"):
            assert page.goto(path).status == 200
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
            lines = assert_words_whole(page, CELLS, (path, width))
            assert lines <= 8, (path, width, lines)  # a Reason 17 lines tall was a column squeezed to 4 letters
        assert page.locator("table.grid td.address", has_text=ARCHIVE).first.inner_html().count("<wbr>") == 2  # before its dots
        page.goto("/manage/garden/held/")
        page.click(f"a:has-text('{URL_SUBJECT[:20]}')")
        page.wait_for_url("**/held/*/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_words_whole(page, ".held .msg-head p", ("held post", width))
        sender = page.evaluate(ADDRESS_PIECES, [".held .msg-head .addr", LONG_VISITOR])
        assert_whole_or_broken_at_at_sign_and_dots(sender, LONG_VISITOR, one_line=width > PHONE["width"])
    assert "name@<wbr>elsewhere<wbr>.example" in page.locator(".held .msg-head p.addressed", has_text="Cc").inner_html()
    context.close()
