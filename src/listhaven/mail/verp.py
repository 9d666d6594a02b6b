"""VERP: the member's address inside the return path, so a bounce names who it is about.

A copy for ``bob@example.com`` from ``marxism@lists.example.org`` leaves with the envelope sender
``marxism-bounces+bob=example.com@lists.example.org``; the MTA (``recipient_delimiter = +``) hands any
bounce for it to Listhaven's ``-bounces`` address, and `verp_decode` reads the member back.

Splitting rules, which make decoding exact: the list part ends at the first ``+`` (list names carry
none); the member's domain starts after the last ``=`` (domains carry none), so a member local part
may hold ``+`` and ``=``. A member local part that is not a dot-atom (``"john doe"@example.com``)
makes the whole VERP local part a quoted string, as RFC 5321 requires.
"""

from __future__ import annotations

import re

# RFC 5322 atext, plus any non-ASCII character (RFC 6531, SMTPUTF8).
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff"
_DOT_ATOM = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_DOMAIN = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*|\[[\x21-\x5a\x5e-\x7e]*\]")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")


def verp_encode(list_bounces_address: str, member_address: str) -> str:
    """``LIST-bounces+member=domain@DOMAIN`` for `member_address` (as written, quoted or not).

    Raises ValueError when either address is not ``local@domain`` or holds control characters.
    """
    bounces_local, bounces_domain = _split(list_bounces_address)
    if "+" in bounces_local or not _DOT_ATOM.fullmatch(bounces_local):
        raise ValueError(f"not a list bounces address: {list_bounces_address!r}")
    local, domain = _split(member_address)
    if "=" in domain or not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a usable domain: {domain!r}")
    return f"{_local_part(f'{bounces_local}+{local}={domain}')}@{bounces_domain}"


def verp_decode(recipient: str, list_bounces_local: str) -> str | None:
    """The member address a VERP `recipient` carries, or None when it is not one for this list.

    `list_bounces_local` is the list's bounces local part (``marxism-bounces``), compared without
    case, as is the ``+``. The result is ``local@domain`` with the domain lowercased (domains have no
    case) and the local part as the bounce gave it, quoted when it is not a dot-atom.
    """
    try:
        local, _ = _split(recipient.strip().removeprefix("<").removesuffix(">"))
    except ValueError:
        return None
    prefix, plus, member = local.partition("+")
    if not plus or prefix.casefold() != list_bounces_local.casefold():
        return None
    member_local, equals, member_domain = member.rpartition("=")
    if not equals or not member_local or not _DOMAIN.fullmatch(member_domain):
        return None
    domain = member_domain if member_domain.startswith("[") else member_domain.lower()
    return f"{_local_part(member_local)}@{domain}"


def format_address(local: str, domain: str) -> str:
    """``local@domain``, the local part quoted (RFC 5321) only when it is not a dot-atom."""
    return f"{_local_part(local)}@{domain}"


def _split(address: str) -> tuple[str, str]:
    """(local part unquoted, domain) of ``local@domain``; ValueError when it is not one."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or _FORBIDDEN.search(address):
        raise ValueError(f"not an address: {address!r}")
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = _unquote(local[1:-1])
    return local, domain


def _unquote(quoted: str) -> str:
    out: list[str] = []
    escaped = False
    for char in quoted:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    if escaped:
        raise ValueError("a quoted local part ends in a lone backslash")
    if not out:
        raise ValueError("empty local part")
    return "".join(out)


def _local_part(text: str) -> str:
    if _DOT_ATOM.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
