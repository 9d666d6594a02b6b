"""Posts the list tests build themselves: a plain message with whatever headers a test needs."""

from __future__ import annotations

from email.message import EmailMessage

from listhaven.lists.post import Policy, Post, Role, Standing, parse_post_bytes

LIST = "garden@lists.example.org"
LIST_ID = "garden.lists.example.org"
MEMBER = "ann@example.org"


def build(
    body: str = "The tomatoes are ripe.\n",
    *,
    sender: str = f"Ann Example <{MEMBER}>",
    to: str | None = LIST,
    subject: str | None = "Tomatoes",
    msgid: str = "post-1@example.org",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    if to is not None:
        message["To"] = to
    if subject is not None:
        message["Subject"] = subject
    message["Date"] = "Mon, 30 Nov 2026 12:00:00 +0000"
    message["Message-ID"] = f"<{msgid}>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def member(address: str = MEMBER, *, moderated: bool = False) -> Standing:
    return Standing(address, frozenset({Role.MEMBER}), moderated=moderated)


def stranger(address: str = "zed@elsewhere.example", action: str = "defer") -> Standing:
    return Standing(address, frozenset(), action=action)


def make_post(raw: bytes | None = None, *, policy: Policy | None = None, standing: Standing | None = None,
              **policy_fields: object) -> Post:
    raw = raw if raw is not None else build()
    policy = policy or Policy(LIST, LIST_ID, **policy_fields)  # type: ignore[arg-type]
    return Post(raw, parse_post_bytes(raw), policy, standing or member())


def notice_text(template: bytes) -> str:
    """The text part of a notice the list queued (decoded)."""
    part = parse_post_bytes(template).get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()
