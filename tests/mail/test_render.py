"""Message text → HTML: escaping, links, quotes, signatures, address obfuscation."""

from __future__ import annotations

import re

from listhaven.mail.obfuscation import obfuscate_address, obfuscate_text
from listhaven.mail.presenter import Presenter
from listhaven.mail.render import FOLD_QUOTE_LINES, quote_depth, render_body, render_inline


def test_script_tags_are_escaped():
    html = render_body("hello <script>alert('x')</script> & bye")
    assert "<script>" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; bye" in html


def test_http_and_https_urls_become_links():
    html = render_inline("see https://example.org/a?b=1&c=2 and http://example.net/x.")
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener">' in html
    )
    assert (
        '<a href="http://example.net/x" rel="nofollow noopener">http://example.net/x</a>.'
        in html
    )


def test_javascript_and_other_schemes_are_never_linked():
    for text in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html,<b>x</b>",
        "mailto:someone@example.com",
        "vbscript:msgbox",
    ):
        assert "<a " not in render_body(text), text


def test_url_cannot_break_out_of_the_attribute():
    html = render_inline('https://example.org/"onmouseover="alert(1)')
    assert 'href="https://example.org/"' in html
    assert 'onmouseover="' not in html.split("</a>")[0]


def test_url_in_parentheses_keeps_the_closing_paren_outside():
    html = render_inline(
        "(see https://en.wikipedia.org/wiki/Foo_(bar) and https://example.org/x)"
    )
    assert 'href="https://en.wikipedia.org/wiki/Foo_(bar)"' in html
    assert 'href="https://example.org/x"' in html
    assert html.endswith("</a>)")


def test_addresses_are_obfuscated_in_text():
    assert (
        obfuscate_text("write to jane.doe+list@mail.example.com now")
        == "write to jane.doe+list at mail.example.com now"
    )
    assert obfuscate_address("user@example.com") == "user at example.com"
    html = render_body("On Sun, Bob <bob@example.org> wrote:")
    assert "@" not in html
    assert "bob at example.org" in html


def test_obfuscation_can_be_turned_off():
    assert "bob@example.org" in render_body("mail bob@example.org", Presenter(obfuscates=False))


def test_quote_depth_counts_markers():
    assert quote_depth("> a") == 1
    assert quote_depth(">> a") == 2
    assert quote_depth("> > > a") == 3
    assert quote_depth("a > b") == 0
    assert quote_depth("") == 0


def test_short_quotes_are_marked_by_depth_and_not_folded():
    html = render_body("Bob wrote:\n> first\n>> second\nreply")
    assert '<span class="q q1">&gt; first</span>' in html
    assert '<span class="q q2">&gt;&gt; second</span>' in html
    assert "<details" not in html
    assert '<div class="t">reply</div>' in html


def test_long_quotes_fold_in_details():
    quoted = "\n".join(f"> line {n}" for n in range(FOLD_QUOTE_LINES + 4))
    html = render_body(f"intro\n{quoted}\nanswer")
    assert html.count("<details") == 1
    assert "more quoted lines</summary>" in html
    before, folded = html.split("<details", 1)
    assert "line 0" in before and "line 1" in before
    assert "line 9" in folded
    assert "answer" in html.split("</details>", 1)[1]


def test_signature_after_dash_dash_space_is_marked():
    html = render_body("text\n-- \nJane Doe\nhttps://jane.example.org/")
    assert '<div class="sig">-- \nJane Doe\n<a href="https://jane.example.org/"' in html
    assert '<div class="t">text</div>' in html


def test_a_dash_dash_far_from_the_end_is_not_a_signature():
    body = "a\n-- \n" + "\n".join(f"line {n}" for n in range(40))
    assert 'class="sig"' not in render_body(body)


def test_indentation_and_blank_lines_are_kept():
    html = render_body("    indented\n\n\tcode()\n\nend")
    assert '<div class="t">    indented\n\n\tcode()\n\nend</div>' == html


def test_blank_line_between_quotes_survives_as_a_line():
    html = render_body("> a\n\n> b")
    # The lone blank line is a block of its own holding one newline: it renders as one empty line.
    assert '<div class="t">\n</div>' in html


def test_nul_and_crlf_are_cleaned():
    html = render_body("a\r\nb\x00c\r\n")
    assert "\r" not in html and "\x00" not in html
    assert re.search(r"a\nb\ufffdc", html)
