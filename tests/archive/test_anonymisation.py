"""archive/anonymisation.py on a real store: the address replaced inside base64 and quoted-printable
text parts of the stored bytes; a PDF attachment left byte for byte and reported; the stored hash,
size and attachment sizes as the new bytes give them, so the raw download, the message's mbox and
an attachment serve the new bytes under new validators."""

from __future__ import annotations

import base64
import gzip
import quopri
from email import message_from_bytes, policy

from listhaven.archive.anonymisation import REPLACEMENT, anonymise_address
from listhaven.archive.compression import decompress
from listhaven.archive.ingest import store_batch
from listhaven.archive.models import Attachment, Message, RawMessage
from listhaven.mail.message import SourceMessage
from listhaven.mail.parse import parse_message

from .conftest import parsed

ADDRESS = "Erin.Quill@Example.ORG"
WRITTEN = "erin.quill@example.org"
PDF = b"%PDF-1.4\n1 0 obj << /Author (" + WRITTEN.encode() + b") >> endobj\n%%EOF\n"


def _b64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\n"


def _post(address: str = WRITTEN) -> bytes:
    letter = ("Grüße aus dem Garten.\n" * 3 + f"Seeds: ask {address} before Friday.\n" + "Ende.\n" * 20).encode()
    html = f'<p>écrivez à <a href="mailto:{address}">Erin</a> pour les graines.</p>\n'.encode("iso-8859-1")
    return (
        f"From: Bob <bob@example.net>\nTo: test@lists.example.org\nCc: Erin <{address}>\nSubject: Seeds\n"
        "Date: Mon, 30 Nov 2026 12:00:00 +0000\nMessage-ID: <seeds-1@example.net>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
        "Content-Type: multipart/alternative; boundary=\"b2\"\n\n--b2\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    ).encode() + _b64(letter) + (
        b"--b2\nContent-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        + quopri.encodestring(html) + b"--b2--\n--b1\n"
        b"Content-Type: text/x-diff; name=seeds.diff\nContent-Disposition: attachment; filename=seeds.diff\n"
        b"Content-Transfer-Encoding: base64\n\n" + _b64(f"+keeper: {address}\n".encode()) + b"--b1\n"
        b"Content-Type: application/pdf; name=plan.pdf\nContent-Disposition: attachment; filename=plan.pdf\n"
        b"Content-Transfer-Encoding: base64\n\n" + _b64(PDF.replace(WRITTEN.encode(), address.encode())) + b"--b1--\n"
    )


def _served(client, message: Message, what: str) -> tuple[bytes, str]:
    response = client.get(f"/test/message/{message.public_id}/{what}")
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content, response["ETag"]


def _texts(raw: bytes) -> str:
    parts = message_from_bytes(raw, policy=policy.default).walk()
    return "".join(p.get_content() for p in parts if p.get_content_maintype() == "text")


def test_encoded_text_parts_lose_the_address_and_what_is_served_follows(mlist, client):
    store_batch(mlist, [parsed(_post())])
    message = Message.objects.get(mailing_list=mlist)
    before, raw_etag = _served(client, message, "raw")
    _, mbox_etag = _served(client, message, "mbox")
    assert WRITTEN in _texts(before).lower()

    done = anonymise_address([mlist.pk], ADDRESS)

    assert done.changed == 1 and done.kept == [message.pk]  # the PDF still names it
    message.refresh_from_db()
    served, etag = _served(client, message, "raw")
    assert served == decompress(bytes(RawMessage.objects.get(message=message).data))
    assert WRITTEN not in _texts(served).lower() and REPLACEMENT in _texts(served)
    assert "Grüße aus dem Garten." in _texts(served) and "pour les graines" in _texts(served)
    assert _texts(served) == _texts(before).replace(WRITTEN, REPLACEMENT)  # nothing else of the text changed
    pdf = [p for p in message_from_bytes(served, policy=policy.default).walk() if p.get_content_type() == "application/pdf"]
    assert pdf[0].get_payload(decode=True) == PDF  # left as it was: rewriting a binary format breaks it
    # the stored hash and size are those of the bytes served; so the validators changed with them
    again = parse_message(SourceMessage(served, "served"))
    assert (message.content_hash, message.size) == (again.content_hash, len(served))
    assert etag != raw_etag
    assert client.get(f"/test/message/{message.public_id}/raw", HTTP_IF_NONE_MATCH=raw_etag).status_code == 200
    mbox, new_mbox_etag = _served(client, message, "mbox")
    assert new_mbox_etag != mbox_etag and served.replace(b"\nFrom ", b"\n>From ") in gzip.decompress(mbox)
    # the text attachment is served replaced, with the size the page shows
    diff = Attachment.objects.get(message=message, filename="seeds.diff")
    data, _ = _served(client, message, f"attachment/{diff.index}/seeds.diff")
    assert data == f"+keeper: {REPLACEMENT}\n".encode() and diff.size == len(data)


def test_a_message_that_does_not_name_the_address_is_not_touched(mlist):
    store_batch(mlist, [parsed(_post("someone@example.net"))])
    message = Message.objects.get(mailing_list=mlist)
    stored = bytes(RawMessage.objects.get(message=message).data)
    assert anonymise_address([mlist.pk], ADDRESS).changed == 0
    assert bytes(RawMessage.objects.get(message=message).data) == stored


def test_after_anonymising_every_download_answers_a_conditional_request_with_the_new_bytes(mlist, client):
    """A cache revalidating by date (If-Modified-Since) or by ETag gets the anonymised bytes, not a 304;
    once it holds them, a 304 again. Raw message, message mbox, attachment, thread and month mbox, the
    message's JSON."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.http import http_date

    store_batch(mlist, [parsed(_post())])
    imported = timezone.now() - timedelta(days=3)
    Message.objects.filter(mailing_list=mlist).update(imported_at=imported)  # imported days ago
    message = Message.objects.get(mailing_list=mlist)
    diff = Attachment.objects.get(message=message, filename="seeds.diff")
    urls = [f"/test/message/{message.public_id}/raw", f"/test/message/{message.public_id}/mbox",
            f"/test/message/{message.public_id}/attachment/{diff.index}/seeds.diff",
            f"/test/thread/{message.thread.public_id}/mbox", "/test/2026-11.mbox.gz",
            f"/api/lists/test/messages/{message.public_id}"]  # fmt: skip
    before = {url: client.get(url) for url in urls}
    for url, response in before.items():
        assert response.status_code == 200 and response["Last-Modified"] == http_date(imported.timestamp()), url
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304, url

    anonymise_address([mlist.pk], ADDRESS)

    for url, response in before.items():
        by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
        by_etag = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        for fresh in (by_date, by_etag):
            assert fresh.status_code == 200, url
            body = b"".join(fresh.streaming_content) if fresh.streaming else fresh.content
            body = gzip.decompress(body) if url.endswith(("mbox", ".gz")) else body
            assert WRITTEN not in body.decode("utf-8", "replace").lower(), url
        assert fresh["Last-Modified"] != response["Last-Modified"] and fresh["ETag"] != response["ETag"], url
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=fresh["Last-Modified"]).status_code == 304, url
        assert client.get(url, HTTP_IF_NONE_MATCH=fresh["ETag"]).status_code == 304, url


def test_an_rfc2231_file_name_loses_the_address_in_the_stored_bytes(mlist, client):
    raw = (
        f"From: Erin <{WRITTEN}>\r\nTo: test@lists.example.org\r\nSubject: Notes\r\n"
        "Date: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <notes-1@example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
        "Notes attached.\r\n--b1\r\nContent-Type: text/plain; charset=utf-8;\r\n name*0*=UTF-8''%C3%A9t%C3%A9-erin.quill;\r\n"
        " name*1*=%40example.org.txt\r\nContent-Disposition: attachment;\r\n filename*0*=UTF-8''%C3%A9t%C3%A9-erin.quill;\r\n"
        " filename*1*=%40example.org.txt\r\n\r\nRows.\r\n--b1--\r\n"
    ).encode()  # fmt: skip
    store_batch(mlist, [parsed(raw)])
    message = Message.objects.get(mailing_list=mlist)
    assert Attachment.objects.get(message=message).filename == f"été-{WRITTEN}.txt"

    anonymise_address([mlist.pk], ADDRESS)

    served, _ = _served(client, message, "raw")
    assert b"%40example.org" not in served and WRITTEN.encode() not in served.lower()
    # continuations no wider than the widest original piece, the charset kept
    assert b" filename*0*=UTF-8''%C3%A9t%C3%A9-address.re;\r\n filename*1*=moved%40erased.invalid.t;\r\n" in served
    listed = Attachment.objects.get(message=message)
    assert listed.filename == f"été-{REPLACEMENT}.txt"
    names = [p.get_filename() for p in message_from_bytes(served, policy=policy.default).walk() if p.get_filename()]
    assert names == [listed.filename]


def test_the_apis_list_documents_are_new_by_date_after_an_anonymise(mlist, client):
    """A search document names the poster's address: once it is replaced, a client revalidating the
    document with If-Modified-Since gets the new one, not a 304 (its date is the list's last change,
    not the newest import)."""
    from datetime import timedelta

    from django.utils import timezone

    from .conftest import make_message

    store_batch(mlist, [parsed(make_message("erin-1@example.org", sender=f"Erin <{WRITTEN}>", subject="Seeds"))])
    earlier = timezone.now() - timedelta(days=3)
    Message.objects.filter(mailing_list=mlist).update(imported_at=earlier)
    type(mlist).objects.filter(pk=mlist.pk).update(archive_changed_at=earlier)
    urls = ["/api/lists/test/search?q=seeds"]
    before = {url: client.get(url) for url in urls}
    for url, response in before.items():
        assert response.status_code == 200 and "erin.quill at example.org" in response.content.decode().lower(), url

    anonymise_address([mlist.pk], ADDRESS)

    for url, response in before.items():
        fresh = client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
        assert fresh.status_code == 200 and "erin.quill" not in fresh.content.decode().lower(), url
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=fresh["Last-Modified"]).status_code == 304, url
