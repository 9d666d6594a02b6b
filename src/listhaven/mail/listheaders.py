"""The header fields that say a message came through the list: RFC 2369, RFC 2919, RFC 8058 and friends.

``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058) is only written with a member's own
unsubscribe URL: the RFC requires the URL to identify the recipient, and a list-wide page cannot unsubscribe
anyone with one POST. So bulk copies and digests carry ``List-Unsubscribe`` without it.
"""

from __future__ import annotations

from listhaven.mail.identity import ListIdentity
from listhaven.mail.rawedit import EditableMessage, fold_tokens, phrase_tokens

ADDED_FIELDS = (
    "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive", "Archived-At", "List-Post",
    "List-Help", "List-Owner", "List-Subscribe", "X-BeenThere", "Precedence",
)


def list_fields(identity: ListIdentity, unsubscribe_url: str, *, archived_at: str = "",
                one_click: bool = False) -> list[tuple[str, bytes]]:
    """(name, value bytes) for each field, in the order written. `unsubscribe_url` is the https URL in
    ``List-Unsubscribe`` (a member's own, or the list-wide page); `one_click` adds List-Unsubscribe-Post."""
    leave = f"<mailto:{identity.role_address('leave')}>"
    request = identity.request_address
    fields: list[tuple[str, list[str]]] = [
        ("List-Id", [*phrase_tokens(identity.display_name), f"<{identity.list_id}>"]),
        ("List-Unsubscribe", _uris(unsubscribe_url, leave)),
    ]
    if one_click:
        fields.append(("List-Unsubscribe-Post", ["List-Unsubscribe=One-Click"]))
    if identity.archive_url:
        fields.append(("List-Archive", [f"<{identity.archive_url}>"]))
    if archived_at:
        fields.append(("Archived-At", [f"<{archived_at}>"]))
    post = [f"<mailto:{identity.address}>"] if identity.allow_posting else ["NO"]
    fields += [
        ("List-Post", post),
        ("List-Help", _uris(identity.help_url or identity.listinfo_url, f"<mailto:{request}?subject=help>")),
        ("List-Owner", [f"<mailto:{identity.owner_address}>"]),
        ("List-Subscribe", _uris(identity.listinfo_url, f"<mailto:{identity.role_address('join')}>")),
        ("X-BeenThere", [identity.address]),
    ]
    return [(name, fold_tokens(name, tokens)) for name, tokens in fields]


def add_list_fields(message: EditableMessage, identity: ListIdentity, unsubscribe_url: str, *,
                    archived_at: str = "", one_click: bool = False) -> set[str]:
    """Append the fields (and ``Precedence: list`` unless the post has a Precedence); returns the
    lower-case names added."""
    added = set()
    for name, value in list_fields(identity, unsubscribe_url, archived_at=archived_at, one_click=one_click):
        message.append(name, value)
        added.add(name.lower())
    if message.get("Precedence") is None:
        message.append("Precedence", b" list")
        added.add("precedence")
    return added


def _uris(url: str, mailto: str) -> list[str]:
    return [f"<{url}>,", mailto] if url else [mailto]
