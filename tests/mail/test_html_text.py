from __future__ import annotations

from listhaven.mail.html_text import html_to_text


def test_paragraphs_breaks_lists_and_links() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<p>Hello <b>world</b>,<br>second line</p><script>alert(1)</script>"
        '<ul><li>one</li><li>two <a href="https://example.org/a">the link</a></li></ul>'
        "<p>&amp; bye</p></body></html>"
    )
    assert html_to_text(html) == (
        "Hello world,\nsecond line\n\n- one\n- two the link <https://example.org/a>\n\n& bye"
    )


def test_no_script_style_or_title_text() -> None:
    text = html_to_text("<title>secret</title><style>.x{}</style><script>var a=1;</script><p>shown</p>")
    assert text == "shown"


def test_link_whose_text_is_its_url_is_not_repeated() -> None:
    assert html_to_text('<a href="https://example.org/">https://example.org/</a>') == "https://example.org/"
    assert html_to_text('<a href="javascript:alert(1)">x</a>') == "x"


def test_pre_keeps_whitespace_and_blockquote_quotes() -> None:
    assert html_to_text("<pre>  a\n    b</pre>") == "  a\n    b"
    assert "> quoted" in html_to_text("<blockquote><p>quoted</p></blockquote>")


def test_broken_html_never_raises() -> None:
    for html in ["<p", "<<<>>>", "<a href='x", "</div></div>text", "<![CDATA[x", "&#99999999;", "<" * 10_000]:
        assert isinstance(html_to_text(html), str)
