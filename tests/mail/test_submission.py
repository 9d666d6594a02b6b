from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from listhaven.mail.submission import complete_submission

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def test_a_hand_written_message_gets_a_date_and_a_message_id() -> None:
    raw = b"From: Ann <ann@example.org>\nTo: garden@lists.example.org\nSubject: Hello\n\nHello, list.\n"
    done = complete_submission(raw, "lists.example.org", NOW)
    assert done.endswith(raw)
    message = email.message_from_bytes(done, policy=email.policy.default)
    assert message["Date"].datetime == NOW
    assert message["Message-ID"].endswith("@lists.example.org>")
    assert message.get_content() == "Hello, list.\n"
    other = complete_submission(raw, "lists.example.org", NOW)
    assert email.message_from_bytes(other)["Message-ID"] != message["Message-ID"]  # each submission its own


def test_fields_present_are_kept_and_line_ends_followed() -> None:
    whole = b"From: a@example.org\r\nmessage-id: <x@example.org>\r\nDATE: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nBody\r\n"
    assert complete_submission(whole, "lists.example.org", NOW) == whole
    no_date = b"From: a@example.org\r\nMessage-ID: <x@example.org>\r\n\r\nBody mentioning\r\nDate: in the body\r\n"
    done = complete_submission(no_date, "lists.example.org", NOW)
    assert done == b"Date: Tue, 01 Dec 2026 00:30:00 +0000\r\n" + no_date
