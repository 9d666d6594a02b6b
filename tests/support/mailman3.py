"""A Mailman 3 list as its REST API returns it, for the move tests: the JSON documents (the shapes of
Mailman 3.3's API: ``entries``, ``start``, ``total_size``, ``self_link``, ``http_etag``), served by a
small HTTP server on 127.0.0.1 with basic authentication, or written as the files
docs/migration.md's curl commands save."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from listhaven.lists.moving.mailman3 import FILES

API = "http://localhost:8001/3.1"  # the links inside the documents, as Mailman writes them
LIST_ID = "orchard.lists.example.org"
ADDRESS = "orchard@lists.example.org"
USER, PASSWORD = "restadmin", "restpass"


def _etag(document: dict[str, Any]) -> dict[str, Any]:
    return document | {"http_etag": '"%040x"' % (hash(json.dumps(document, sort_keys=True)) & (2**160 - 1))}


def _member(number: int, email: str, role: str, name: str = "", action: str | None = None,
            mode: str = "regular") -> dict[str, Any]:  # fmt: skip
    member_id = f"{number:032x}"
    document = {
        "address": f"{API}/addresses/{email}", "bounce_score": 0, "delivery_mode": mode, "display_name": name,
        "email": email, "last_warning_sent": "0001-01-01T00:00:00", "list_id": LIST_ID, "member_id": member_id,
        "role": role, "self_link": f"{API}/members/{member_id}", "subscription_mode": "as_address",
        "total_warnings_sent": 0, "user": f"{API}/users/{number:032x}",
    }  # fmt: skip
    if action is not None:
        document["moderation_action"] = action
    return _etag(document)


def _page(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return _etag({"entries": entries, "start": 0, "total_size": len(entries)})


def _preferences(member_id: str, **values: Any) -> dict[str, Any]:
    base = {"acknowledge_posts": False, "delivery_mode": "regular", "delivery_status": "enabled",
            "hide_address": True, "preferred_language": "en", "receive_list_copy": True,
            "receive_own_postings": True}  # fmt: skip
    return _etag(base | values | {"self_link": f"{API}/members/{member_id}/all/preferences"})


def orchard() -> dict[str, Any]:
    """Resource path (relative to /3.1/) -> document."""
    owners = [_member(1, "owner@example.org", "owner")]
    moderators = [_member(2, "mod@example.org", "moderator")]
    members = [
        _member(10, "ann@example.org", "member", "Ann Example"),
        _member(11, "bob@example.net", "member", "Bob", action="hold"),
        _member(12, "digest@example.com", "member", mode="plain_digests"),
        _member(13, "away@example.org", "member"),
        _member(14, "open@example.org", "member", "Open Book"),
    ]
    preferences = {
        10: _preferences(f"{10:032x}", receive_own_postings=False, acknowledge_posts=True),
        11: _preferences(f"{11:032x}"),
        12: _preferences(f"{12:032x}", delivery_mode="plain_digests"),
        13: _preferences(f"{13:032x}", delivery_status="by_user"),
        14: _preferences(f"{14:032x}", hide_address=False),
    }
    nonmembers = [_member(20, "friend@elsewhere.example", "nonmember", action="accept"),
                  _member(21, "pest@elsewhere.example", "nonmember", action="discard")]  # fmt: skip
    config = _etag({
        "acceptable_aliases": [], "accept_these_nonmembers": [], "admin_immed_notify": True,
        "admin_notify_mchanges": False, "administrivia": True, "advertised": True, "allow_list_posts": True,
        "anonymous_list": False, "archive_policy": "public", "archive_rendering_mode": "text",
        "autorespond_owner": "none", "autorespond_postings": "none", "autorespond_requests": "none",
        "autoresponse_grace_period": "90d", "bounces_address": "orchard-bounces@lists.example.org",
        "collapse_alternatives": True, "convert_html_to_plaintext": False, "created_at": "2019-04-01T10:00:00",
        "default_member_action": "defer", "default_nonmember_action": "reject",
        "description": "Fruit trees and their keepers", "digest_send_periodic": True, "digest_size_threshold": 50.0,
        "digest_volume_frequency": "monthly", "digests_enabled": True, "discard_these_nonmembers": [],
        "display_name": "Orchard", "dmarc_mitigate_action": "wrap_message", "dmarc_mitigate_unconditionally": True,
        "dmarc_moderation_notice": "", "dmarc_wrapped_message_text": "", "emergency": False,
        "filter_content": False, "first_strip_reply_to": False, "footer_uri": "", "fqdn_listname": ADDRESS,
        "gateway_to_mail": False, "gateway_to_news": False, "goodbye_message_uri": "", "header_uri": "",
        "hold_these_nonmembers": [], "include_rfc2369_headers": True, "info": "Grafting season is March.",
        "join_address": "orchard-join@lists.example.org", "last_post_at": "2024-05-02T08:00:00",
        "leave_address": "orchard-leave@lists.example.org", "list_name": "orchard", "mail_host": "lists.example.org",
        "max_message_size": 80, "max_num_recipients": 12, "member_roster_visibility": "members",
        "moderator_password": None, "next_digest_number": 3, "no_reply_address": "noreply@lists.example.org",
        "owner_address": "orchard-owner@lists.example.org", "post_id": 42, "posting_address": ADDRESS,
        "posting_pipeline": "default-posting-pipeline", "preferred_language": "en",
        "reject_these_nonmembers": [], "reply_goes_to_list": "point_to_list", "reply_to_address": "",
        "request_address": "orchard-request@lists.example.org", "require_explicit_destination": True,
        "respond_to_post_requests": True, "send_goodbye_message": True, "send_welcome_message": False,
        "subject_prefix": "[Orchard] ", "subscription_policy": "confirm", "unsubscription_policy": "confirm",
        "usenet_watermark": None, "volume": 1, "welcome_message_uri": "mailman:///welcome.txt",
    })  # fmt: skip
    documents = {
        f"lists/{LIST_ID}": _etag({
            "advertised": True, "description": "Fruit trees and their keepers", "display_name": "Orchard",
            "fqdn_listname": ADDRESS, "list_id": LIST_ID, "list_name": "orchard", "mail_host": "lists.example.org",
            "member_count": len(members), "self_link": f"{API}/lists/{LIST_ID}", "volume": 1,
        }),
        f"lists/{LIST_ID}/config": config,
        f"lists/{LIST_ID}/roster/owner": _page(owners),
        f"lists/{LIST_ID}/roster/moderator": _page(moderators),
        f"lists/{LIST_ID}/roster/member": _page(members),
        f"lists/{LIST_ID}/roster/nonmember": _page(nonmembers),
        f"lists/{LIST_ID}/bans": _page([_etag({"email": "troll@example.com", "list_id": LIST_ID,
                                               "self_link": f"{API}/lists/{LIST_ID}/bans/troll@example.com"})]),
    }  # fmt: skip
    documents[f"lists/{LIST_ID}/requests"] = _page([
        _request("a" * 40, "newbie@example.org", "Néo Wbie", "subscription", "moderator"),
        _request("b" * 40, "bob@example.net", "Bob", "unsubscription", "moderator"),
        _request("c" * 40, "unsure@example.org", "", "subscription", "subscriber"),
    ])  # fmt: skip
    documents[f"lists/{LIST_ID}/held"] = _page([_etag({
        "hold_date": "2024-05-03T10:00:00", "message_id": "<offer@elsewhere.example>", "msg": HELD_POST,
        "reason": "The message is not from a list member", "request_id": 7, "sender": "stranger@elsewhere.example",
        "subject": "Cheap ladders", "original_subject": "Cheap ladders", "type": "held message",
        "self_link": f"{API}/lists/{LIST_ID}/held/7",
    })])  # fmt: skip
    for number, document in preferences.items():
        documents[f"members/{number:032x}/all/preferences"] = document
    return documents


HELD_POST = ("From: stranger@elsewhere.example\nTo: orchard@lists.example.org\nSubject: Cheap ladders\n"
             "Message-ID: <offer@elsewhere.example>\nDate: Fri, 03 May 2024 10:00:00 +0000\n\nLadders for sale.\n")


def _request(token: str, email: str, name: str, kind: str, owner: str) -> dict[str, Any]:
    """An entry of lists/LIST/requests (Mailman 3.3's sub_moderation resource)."""
    return _etag({"display_name": name, "email": email, "list_id": LIST_ID, "token": token, "token_owner": owner,
                  "type": kind, "when": "2024-05-01T12:00:00", "self_link": f"{API}/lists/{LIST_ID}/requests/{token}"})


def write_json(documents: dict[str, Any], directory: Path) -> None:
    """The files `curl -o` saves (docs/migration.md)."""
    (directory / "preferences").mkdir(parents=True, exist_ok=True)
    names = {f"lists/{LIST_ID}" + suffix: name for suffix, name in FILES.items()}
    for path, document in documents.items():
        name = names.get(path) or f"preferences/{path.split('/')[1]}.json"
        (directory / name).write_text(json.dumps(document, indent=4))


@contextmanager
def rest_api(documents: dict[str, Any]) -> Iterator[str]:
    """Serves `documents` under /3.1/ on 127.0.0.1 (an ephemeral port); yields the API's root URL.
    Without the right basic credentials: 401, as Mailman answers."""
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != expected:
                self._answer(401, {"title": "401 Unauthorized", "description": "REST API authorization failed"})
                return
            path = self.path.split("?", 1)[0].removeprefix("/3.1/")
            document = documents.get(path)
            self._answer(200, document) if document is not None else self._answer(404, {"title": "404 Not Found"})

        def _answer(self, status: int, document: dict[str, Any]) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/3.1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
