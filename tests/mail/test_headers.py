"""mail/headers.py: the header fields of a message as a person reads them (a held post's page)."""

from __future__ import annotations

from listhaven.mail.headers import field_lines


def test_field_lines_keep_order_names_and_repeats_unfold_and_decode():
    raw = (b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\r\n"
           b"Received: by a\r\nReceived: by b\r\nFrom: =?utf-8?q?J=C3=B6rg?= <jorg@example.net>\r\n"
           b"To: one@example.com,\r\n\ttwo@example.com\r\nSubject: Hi\r\n\r\nX-Not-A-Field: body\r\n")  # fmt: skip
    assert field_lines(raw) == [
        ("Received", "by a"), ("Received", "by b"), ("From", "Jörg <jorg@example.net>"),
        ("To", "one@example.com, two@example.com"), ("Subject", "Hi"),
    ]  # fmt: skip


def test_field_lines_of_bytes_without_a_header_block():
    assert field_lines(b"") == []
    assert field_lines(b"just text, no field\n\nbody") == []
    assert field_lines(b"\n\nSubject: after blank lines\n") == [("Subject", "after blank lines")]
