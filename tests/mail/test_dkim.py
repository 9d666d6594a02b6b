from __future__ import annotations

import base64

import dkim as dkimpy
import dns.flags as dns_flags
import dns.message as dns_message
import dns.query as dns_query
import pytest

from listhaven.mail.decorate import decorate
from listhaven.mail.dkim import SIGNED_FIELDS, RsaSigner, dns_txt_value, generate_key, sign, signer, txt_lookup
from listhaven.mail.identity import ListIdentity
from listhaven.mail.personalise import MemberValues, personalise
from tests.support import posts
from tests.support.dns_server import LocalDNS

DOMAIN = "lists.example.org"


@pytest.fixture(scope="module")
def key() -> tuple[bytes, str]:
    return generate_key(2048)


@pytest.fixture(scope="module")
def copy() -> bytes:
    identity = ListIdentity(address=posts.LIST_ADDRESS, display_name="Harbour Dev", subject_tag="[Harbour-dev]",
                            listinfo_url="https://lists.example.org/listinfo/harbour-dev",
                            footer="Leave: {unsubscribe_url}\n")
    member = MemberValues("https://lists.example.org/u/TOKEN", "https://lists.example.org/o/T", "bob@example.net")
    return personalise(decorate(posts.alternative_post(), identity), member)


def test_the_dns_record_holds_the_public_key(key: tuple[bytes, str]) -> None:
    private_pem, txt = key
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert txt.startswith("v=DKIM1; k=rsa; p=")
    assert len(base64.b64decode(txt.split("p=", 1)[1])) > 256  # a 2048-bit SubjectPublicKeyInfo
    assert dns_txt_value(private_pem) == txt


def test_a_signed_copy_verifies_against_the_key_served_over_dns(key: tuple[bytes, str], copy: bytes) -> None:
    private_pem, txt = key
    # UDP answers cut at 256 bytes: the key comes over TCP after a truncated UDP answer, as larger keys do.
    with LocalDNS({f"sel2026._domainkey.{DOMAIN}": [txt]}, udp_limit=256) as dns:
        query = dns_message.make_query(f"sel2026._domainkey.{DOMAIN}", "TXT")
        assert dns_query.udp(query, "127.0.0.1", port=dns.port, timeout=2).flags & dns_flags.TC
        signed = sign(copy, DOMAIN, "sel2026", private_pem)
        assert dkimpy.verify(signed, dnsfunc=txt_lookup(dns.resolver()))
        assert dns.queries[(f"sel2026._domainkey.{DOMAIN}", "TXT")] >= 1
        signature = signed.split(b"\r\n\r\n", 1)[0].split(b"DKIM-Signature:", 1)[1]
        unfolded = b"".join(signature.split())
        assert b"h=" + b":".join(f.lower().encode() for f in SIGNED_FIELDS) in unfolded
        assert b"c=relaxed/relaxed" in unfolded and b"d=" + DOMAIN.encode() in unfolded


def test_a_changed_unsubscribe_field_or_body_fails_verification(key: tuple[bytes, str], copy: bytes) -> None:
    private_pem, txt = key
    with LocalDNS({f"sel2026._domainkey.{DOMAIN}": [txt]}) as dns:
        signed = signer(DOMAIN, "sel2026", private_pem)(copy)
        lookup = txt_lookup(dns.resolver())
        assert dkimpy.verify(signed, dnsfunc=lookup)
        assert not dkimpy.verify(signed.replace(b"/u/TOKEN", b"/u/OTHER"), dnsfunc=lookup)
        assert not dkimpy.verify(signed.replace(b"come by", b"stay away"), dnsfunc=lookup)
        # Re-folding or trailing spaces added by an MTA are forgiven by relaxed canonicalisation.
        assert dkimpy.verify(signed.replace(b"Subject: [Harbour-dev]", b"Subject:   [Harbour-dev]"), dnsfunc=lookup)


def test_a_field_a_reader_trusts_cannot_be_added_to_a_signed_copy(key: tuple[bytes, str], copy: bytes) -> None:
    """RFC 6376 5.4.1: Reply-To, Cc and the MIME fields are signed, present or not, so a replayed copy with
    a Reply-To of someone else's, or its body read as another type, fails verification."""
    private_pem, txt = key
    assert b"\r\nReply-To:" not in copy.split(b"\r\n\r\n", 1)[0]
    with LocalDNS({f"sel2026._domainkey.{DOMAIN}": [txt]}) as dns:
        signed = sign(copy, DOMAIN, "sel2026", private_pem)
        lookup = txt_lookup(dns.resolver())
        assert dkimpy.verify(signed, dnsfunc=lookup)
        head, body = signed.split(b"\r\n\r\n", 1)
        for added in (b"Reply-To: thief@example.com", b"Cc: thief@example.com"):
            assert not dkimpy.verify(head + b"\r\n" + added + b"\r\n\r\n" + body, dnsfunc=lookup)
        retyped = signed.replace(b"Content-Type: multipart/", b"Content-Type: text/html; x=multipart/", 1)
        assert retyped != signed and not dkimpy.verify(retyped, dnsfunc=lookup)


def test_a_key_missing_from_dns_does_not_verify(key: tuple[bytes, str], copy: bytes) -> None:
    with LocalDNS({}) as dns:
        assert not dkimpy.verify(sign(copy, DOMAIN, "gone", key[0]), dnsfunc=txt_lookup(dns.resolver()))


SHAPES = {
    "personalised multipart copy": None,  # the `copy` fixture
    "LF line ends, folded and repeated fields, spaces to squeeze":
        b"From: Ann <ann@example.org>\nTo: team@lists.example.org\nSubject:  Plans\n  for   the week \n"
        b"List-Id: <one>\nList-Id: <two>\nDate: Fri, 01 Mar 2024 12:00:00 +0000\n\nHello  all. \t\n\n\n",
    "empty body": b"From: a@example.org\r\nSubject: nothing\r\n\r\n",
    "body of blank lines only": b"From: a@example.org\r\n\r\n\r\n\r\n",
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_openssl_signer_writes_the_very_field_dkimpy_writes(key: tuple[bytes, str], copy: bytes, shape: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Same tags, same folding, same bh= and b= (RSA PKCS#1 v1.5 is deterministic): only the arithmetic
    moved to OpenSSL. The clock is fixed so that both write the same t=."""
    message = SHAPES[shape] or copy
    monkeypatch.setattr(dkimpy.time, "time", lambda: 1_796_000_000.7)
    theirs = dkimpy.sign(message, b"sel2026", DOMAIN.encode(), key[0], canonicalize=(b"relaxed", b"relaxed"),
                         include_headers=[f.lower().encode() for f in SIGNED_FIELDS])
    assert RsaSigner(DOMAIN, "sel2026", key[0]).header(message) == theirs
    assert b"t=1796000000;" in theirs


def test_the_signer_refuses_a_signature_without_from(key: tuple[bytes, str]) -> None:
    with pytest.raises(ValueError):
        RsaSigner(DOMAIN, "sel2026", key[0], headers=("Subject",))


def test_small_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_key(512)
