"""Every message of the shared corpora parses with sensible fields (skipped when they are absent)."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from listhaven.mail.message import ParsedMessage, SourceMessage
from listhaven.mail.parse import parse_message

CORPORA = Path(__file__).resolve().parents[2] / "../shared/corpora"
pytestmark = pytest.mark.corpus


def _corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"corpus {name} not found at {path} (../shared/corpora is absent here)")
    return path


def _parse_mbox(path: Path) -> list[ParsedMessage]:
    box = mailbox.mbox(path, create=False)
    parsed = []
    for number, key in enumerate(box.keys(), 1):
        first, _, raw = box.get_bytes(key, from_=True).partition(b"\n")
        from_line = first[5:].decode("latin-1").strip()
        parsed.append(parse_message(SourceMessage(raw, f"{path.name}#{number}", from_line)))
    return parsed


def _odd_files() -> list[str]:
    folder = CORPORA / "odd-mboxes"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else ["(absent)"]


@pytest.mark.parametrize("name", _odd_files())
def test_odd_mboxes_parse(name: str) -> None:
    messages = _parse_mbox(_corpus(f"odd-mboxes/{name}"))
    assert messages
    for message in messages:
        assert message.message_id and message.date.tzinfo is not None
        assert message.date_source != "none" and message.date.year >= 2002
        assert message.sender.email and "@" in message.sender.email
        assert message.subject and message.body_source == "text/plain" and message.body_text.strip()


def test_odd_mbox_details() -> None:
    multipart = _parse_mbox(_corpus("odd-mboxes/mbox_multipart.mbox"))
    assert all(m.attachments and m.attachments[0].content_type == "text/html" for m in multipart)
    no_fields = _parse_mbox(_corpus("odd-mboxes/mbox_no_fields.mbox"))
    assert any(m.message_id_derived for m in no_fields)
    assert any(m.date_source == "from_line" for m in no_fields)
    assert {m.sender.name for m in no_fields} >= {"Göran Lastname"}


def test_numpy_pipermail_month() -> None:
    messages = _parse_mbox(_corpus("numpy-discussion-2001-November.txt"))
    assert len(messages) > 100
    assert "jjl@pobox.com" in {m.sender.email for m in messages}
    assert all(m.sender.email for m in messages)
    assert all(m.date_source == "date" and (m.date.year, m.date.month) == (2001, 11) for m in messages)
    assert any(m.subject.startswith("[Numpy-discussion]") and not m.subject_normalised.startswith("[")
               for m in messages)
    assert any(m.in_reply_to for m in messages)
