"""DKIM for the list's domain: a key pair with its DNS record, and a signature on each outgoing copy.

Signing is dkimpy's (relaxed/relaxed canonicalisation: an MTA re-folding a header or trimming trailing
space does not break it). The fields signed by default are those RFC 8058 requires for one-click
unsubscribe to be trusted (List-Unsubscribe and List-Unsubscribe-Post) plus the ones a reader sees.

Keys are made by the ``openssl`` command, as dkimpy's own ``dknewkey`` does (dkimpy has no key generator
and the pure layer carries no crypto library of its own); the private key travels over a pipe only.

Speed: dkimpy does RSA in pure Python, one 2048-bit signature per copy; bench/compose_bench.py measures it.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable, Sequence

import dkim as dkimpy  # type: ignore[import-untyped]  # dkimpy ships no type information
import dns.exception
import dns.resolver

SIGNED_FIELDS: tuple[str, ...] = (
    "From", "To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
)


def generate_key(bits: int = 2048) -> tuple[bytes, str]:
    """(private key PEM, value of the TXT record at ``SELECTOR._domainkey.DOMAIN``)."""
    if bits < 1024:
        raise ValueError("receivers ignore DKIM keys under 1024 bits")
    private_pem = _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"], b"")
    return private_pem, dns_txt_value(private_pem)


def dns_txt_value(private_pem: bytes) -> str:
    """``v=DKIM1; k=rsa; p=...`` for the public half of `private_pem`."""
    public_der = _openssl(["pkey", "-pubout", "-outform", "DER"], private_pem)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(public_der).decode("ascii")


def sign(message: bytes, domain: str, selector: str, private_key: bytes,
         headers: Sequence[str] = SIGNED_FIELDS) -> bytes:
    """`message` with a ``DKIM-Signature`` field for `domain` and `selector` put in front."""
    signature: bytes = dkimpy.sign(
        message, selector.encode("ascii"), domain.encode("ascii"), private_key,
        canonicalize=(b"relaxed", b"relaxed"), include_headers=[h.lower().encode("ascii") for h in headers],
    )
    return signature + message


def signer(domain: str, selector: str, private_key: bytes,
           headers: Sequence[str] = SIGNED_FIELDS) -> Callable[[bytes], bytes]:
    """`sign` with the list domain's key bound: what a delivery worker holds for one domain."""
    def sign_copy(message: bytes) -> bytes:
        return sign(message, domain, selector, private_key, headers)
    return sign_copy


def txt_lookup(resolver: dns.resolver.Resolver) -> Callable[..., bytes | None]:
    """A dkimpy ``dnsfunc`` answering from a dnspython resolver: ``dkim.verify(data, dnsfunc=...)``."""
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        try:
            answer = resolver.resolve(name.decode("ascii").rstrip("."), "TXT", raise_on_no_answer=False)
        except dns.exception.DNSException:
            return None
        for rdata in answer:
            return b"".join(rdata.strings)
        return None
    return lookup


def _openssl(args: list[str], stdin: bytes) -> bytes:
    try:
        result = subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=120, check=False)
    except FileNotFoundError as error:
        raise RuntimeError("the openssl command is needed to make DKIM keys (Debian: apt-get install openssl)") \
            from error
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout
