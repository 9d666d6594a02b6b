"""Content filtering (Mailman's filter_content): which parts a list passes on, on messages built here."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.parser import BytesParser

from listhaven.mail.content_filter import ContentRules, filter_content

ALTERNATIVE = (
    b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=A\r\n\r\n"
    b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain words\r\n"
    b"--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Rich <b>words</b> &amp; more</p>\r\n--A--\r\n"
)


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def mixed(*parts: tuple[str, str, bytes]) -> bytes:
    """A multipart/mixed of (content type, file name or "", body) parts, the first after the text."""
    out = [b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n",
           b"--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"]  # fmt: skip
    for content_type, filename, body in parts:
        disposition = f"Content-Disposition: attachment; filename={filename}\r\n" if filename else ""
        out.append(f"--M\r\nContent-Type: {content_type}\r\n{disposition}\r\n".encode() + body + b"\r\n")
    return b"".join(out) + b"--M--\r\n"


def leaf_types(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk() if not part.is_multipart()]


def test_nothing_is_changed_by_rules_that_name_nothing_the_post_holds():
    message = parsed(mixed(("application/pdf", "a.pdf", b"%PDF")))
    result = filter_content(message, ContentRules(filter_types=("image",), collapse_alternatives=False))
    assert not result.changed and leaf_types(message) == ["text/plain", "application/pdf"]


def test_filtered_types_and_extensions_go_and_a_lone_part_takes_the_containers_place():
    message = parsed(mixed(("image/png", "photo.png", b"PNG"), ("application/octet-stream", "setup.EXE", b"MZ")))
    result = filter_content(message, ContentRules(filter_types=("IMAGE/*",), filter_extensions=(".exe",)))
    assert result.removed == ["image/png (photo.png)", "application/octet-stream (setup.EXE)"]
    assert message.get_content_type() == "text/plain" and message.get_content().rstrip() == "See attached."
    assert message["Subject"] == "s" and message["MIME-Version"] == "1.0"


def test_pass_lists_keep_only_what_they_name():
    message = parsed(mixed(("application/pdf", "a.pdf", b"%PDF"), ("text/x-diff", "fix.patch", b"+x")))
    filter_content(message, ContentRules(pass_types=("text",)))
    assert leaf_types(message) == ["text/plain", "text/x-diff"]
    message = parsed(mixed(("application/pdf", "a.pdf", b"%PDF"), ("text/x-diff", "fix.patch", b"+x")))
    filter_content(message, ContentRules(pass_extensions=("pdf",)))
    assert leaf_types(message) == ["text/plain", "application/pdf"]  # the text has no file name: it passes


def test_an_alternative_collapses_to_its_first_part_or_its_html_becomes_text():
    message = parsed(ALTERNATIVE)
    assert filter_content(message, ContentRules()).collapsed == 1
    assert message.get_content_type() == "text/plain" and message.get_content().rstrip() == "Plain words"
    message = parsed(ALTERNATIVE)
    result = filter_content(message, ContentRules(collapse_alternatives=False, filter_types=("text/plain",),
                                                  html_to_plaintext=True))  # fmt: skip
    assert result.converted == 1 and message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Rich words & more"


def test_a_post_of_nothing_that_passes_is_empty():
    result = filter_content(parsed(ALTERNATIVE), ContentRules(pass_types=("image",)))
    assert result.empty and result.removed == ["text/plain", "text/html"]


def test_a_nested_message_is_judged_as_one_part():
    inner = b"Content-Type: message/rfc822\r\n\r\nFrom: b@example.org\r\nContent-Type: image/png\r\n\r\nPNG\r\n"
    raw = mixed(("text/x-diff", "fix.patch", b"+x")).replace(b"--M--", b"--M\r\n" + inner + b"--M--")
    message = parsed(raw)
    filter_content(message, ContentRules(filter_types=("image",)))
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/x-diff", "message/rfc822"]


def test_non_ascii_text_left_alone_in_a_container_is_written_as_it_came():
    """The lone part that takes the container's place keeps its 8-bit text writable (get_payload() would
    have turned its escaped bytes into characters the byte generator refuses)."""
    for body, cte, html in ((b"Caf\xc3\xa9 \xe2\x82\xac", "8bit", False), (b"<p>Caf=E9</p>", "quoted-printable", True)):
        charset = "utf-8" if cte == "8bit" else "iso-8859-1"
        raw = mixed(("image/png", "pic.png", b"PNG")).replace(
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached.",
            f"Content-Type: text/{'html' if html else 'plain'}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode() + body)  # fmt: skip
        message = parsed(raw)
        filter_content(message, ContentRules(filter_types=("image",), html_to_plaintext=html))
        written = message.as_bytes(policy=email.policy.default.clone(linesep="\r\n", refold_source="none"))
        assert "Café".encode() in written and b"PNG" not in written
        assert parsed(written).get_content().startswith("Café")


def test_an_attachment_nested_deeper_than_the_walk_goes_too():
    """Nesting is no way around the filter: a part deeper than the walk goes (no mail nests that deep
    but one made to), instead of passing unfiltered."""
    inner = b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=run.exe\r\n\r\nMZ\r\n"
    for depth in range(25):
        inner = (
            f"Content-Type: multipart/mixed; boundary=B{depth}\r\n\r\n--B{depth}\r\n"
            f"Content-Type: text/plain\r\n\r\nlevel {depth}\r\n--B{depth}\r\n"
        ).encode() + inner + f"--B{depth}--\r\n".encode()
    message = parsed(b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n" + inner)
    result = filter_content(message, ContentRules(filter_extensions=("exe",)))
    assert result.changed and not result.empty
    assert not [p for p in message.walk() if p.get_filename() == "run.exe"]
    assert "level 24" in message.as_string()  # the outer parts stay


def test_hostile_mail_is_filtered_without_an_error_and_stays_writable():
    """Broken MIME, bad charsets, deep nesting: filtering never raises, and what it leaves can be written
    (an exception here would answer the MTA 451 for ever)."""
    from tests.support.hostile import hostile_messages

    every = (ContentRules(filter_types=("image", "application/pdf"), html_to_plaintext=True),
             ContentRules(pass_types=("text/plain",)), ContentRules(filter_extensions=("exe", "html"), html_to_plaintext=True,
                                                                    collapse_alternatives=False))  # fmt: skip
    policy = email.policy.default.clone(linesep="\r\n", refold_source="none")
    for name, raw in hostile_messages():
        for rules in every:
            message = parsed(raw)
            if not filter_content(message, rules).empty:
                assert message.as_bytes(policy=policy), name
