"""DKIM for the list's domain: a key pair with its DNS record, and a signature on each outgoing copy.

The signature is the one dkimpy makes (relaxed/relaxed canonicalisation: an MTA re-folding a header or
trimming trailing space does not break it; the same tags, in the same order, folded the same way), built
with dkimpy's own parsing, canonicalisation, header selection and folding; only the RSA step is OpenSSL's
(the `cryptography` package) instead of dkimpy's pure-Python arithmetic, about 12 times faster
(`RsaSigner`; dkimpy verifies what it makes, tests/lists/test_dkim_signer.py). The fields signed by
default are those RFC 8058 requires for one-click unsubscribe to be trusted (List-Unsubscribe and
List-Unsubscribe-Post), the ones RFC 6376 section 5.4.1 says should be (the reader's From, Reply-To, To, Cc,
Subject, Date, the reply's In-Reply-To and References, the list's RFC 2369 fields) and the MIME fields that
say how to read the body. A field named and absent is signed as absent, so a copy replayed with a
Reply-To or a Content-Type added no longer verifies.

Keys are made by the ``openssl`` command, as dkimpy's own ``dknewkey`` does (dkimpy has no key generator
and the pure layer carries no crypto library of its own); the private key travels over a pipe only.

Speed: one 2048-bit RSA signature per copy; bench/compose_bench.py measures both signers.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import time
from collections.abc import Callable, Sequence

import dkim as dkimpy  # type: ignore[import-untyped]  # dkimpy ships no type information
import dns.exception
import dns.resolver
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from dkim.canonicalization import Relaxed  # type: ignore[import-untyped]

SIGNED_FIELDS: tuple[str, ...] = (
    "From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Post", "List-Help", "List-Owner",
    "List-Subscribe", "List-Archive", "Archived-At",
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
    return RsaSigner(domain, selector, private_key, headers)(message)


def signer(domain: str, selector: str, private_key: bytes,
           headers: Sequence[str] = SIGNED_FIELDS) -> Callable[[bytes], bytes]:
    """The list domain's key bound, parsed once: what a delivery worker holds for one domain."""
    return RsaSigner(domain, selector, private_key, headers)


class RsaSigner:
    """``signer(message) -> message`` with a DKIM-Signature (rsa-sha256, relaxed/relaxed) in front:
    dkimpy's `DKIM.sign` step for step, with the RSA done by OpenSSL and the key parsed once."""

    NAME = b"DKIM-Signature"

    def __init__(self, domain: str, selector: str, private_key: bytes,
                 headers: Sequence[str] = SIGNED_FIELDS) -> None:  # fmt: skip
        key = serialization.load_pem_private_key(private_key, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the DKIM key is not an RSA key")
        self.key = key
        self.domain, self.selector = domain.encode("ascii"), selector.encode("ascii")
        self.include = tuple(h.lower().encode("ascii") for h in headers)
        if b"from" not in self.include:
            raise ValueError("the From header field must be signed")

    def __call__(self, message: bytes, now: float | None = None) -> bytes:
        return self.header(message, now) + message

    def header(self, message: bytes, now: float | None = None) -> bytes:
        """The ``DKIM-Signature: ...`` field (ending in CRLF) for `message`, as dkimpy would make it."""
        headers, body = dkimpy.rfc822_parse(message)
        body_hash = base64.b64encode(hashlib.sha256(Relaxed.canonicalize_body(body)).digest())
        fields = [
            (b"v", b"1"), (b"a", b"rsa-sha256"), (b"c", b"relaxed/relaxed"), (b"d", self.domain),
            (b"i", b"@" + self.domain), (b"q", b"dns/txt"), (b"s", self.selector),
            (b"t", str(int(time.time() if now is None else now)).encode("ascii")),
            (b"h", b" : ".join(self.include)), (b"bh", body_hash), (b"b", b"0" * 60),
        ]  # fmt: skip
        value = dkimpy.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(self.NAME), linesep=b"\r\n")
        value = dkimpy.RE_BTAG.sub(b"\\1", value)
        hasher = hashlib.sha256()
        dkimpy.hash_headers(hasher, Relaxed, Relaxed.canonicalize_headers(headers), self.include,
                            (self.NAME, b" " + value), dict(fields))  # fmt: skip
        signature = self.key.sign(hasher.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        fields[-1] = (b"b", base64.b64encode(signature))
        value = b"; ".join(b"=".join(f) for f in fields) + b"\r\n"
        folded: bytes = dkimpy.fold(value, namelen=len(self.NAME), linesep=b"\r\n")
        return self.NAME + b": " + folded


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
