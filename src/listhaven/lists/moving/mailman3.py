"""Moving a list from Mailman 3: its REST API's answers (live, or saved as JSON files) read into a
`ListPlan`. The archive comes separately, from HyperKitty's mbox export.

The resources read, relative to the API's root (``http://localhost:8001/3.1``), and the file each
is saved as for ``--from-json DIR`` (docs/migration.md has the curl commands):

``lists/LIST``                    list.json          the list (fqdn_listname, display_name, ...)
``lists/LIST/config``             config.json        its settings
``lists/LIST/roster/owner``       owners.json        ``{"entries": [member, ...], "total_size": N, ...}``
``lists/LIST/roster/moderator``   moderators.json
``lists/LIST/roster/member``      members.json
``lists/LIST/roster/nonmember``   nonmembers.json    non-members with their own moderation_action
``lists/LIST/bans``               bans.json
``members/ID/all/preferences``    preferences/ID.json  a member's effective preferences
``lists/LIST/requests``           requests.json      requests to join or leave not decided yet
``lists/LIST/held``               held.json          posts held for the moderators, with their text
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from listhaven.lists.moving.plan import HeldPlan, ListPlan, MemberPlan, RequestPlan
from listhaven.lists.moving.report import MoveReport

Fetch = Callable[[str], Any]  # a resource path -> its JSON; None when it does not exist

FILES = {"": "list.json", "/config": "config.json", "/roster/owner": "owners.json",
         "/roster/moderator": "moderators.json", "/roster/member": "members.json",
         "/roster/nonmember": "nonmembers.json", "/bans": "bans.json", "/requests": "requests.json",
         "/held": "held.json"}  # fmt: skip
DELIVERY_MODES = {"regular": "regular", "plain_digests": "plain_digest", "mime_digests": "mime_digest",
                  "summary_digests": "mime_digest"}  # fmt: skip
DELIVERY_STATUS = {"by_user": ("by_user", "by the member"), "by_bounces": ("by_bounces", "because of bounces"),
                   "by_moderator": ("by_owner", "by a moderator"), "unknown": ("by_owner", "for an unknown reason")}  # fmt: skip
REPLY_TO = {"no_munging": "none", "point_to_list": "list", "explicit_header": "explicit",
            "explicit_header_only": "explicit"}  # fmt: skip
DMARC = {"no_mitigation": "off", "munge_from": "munge", "wrap_message": "wrap"}
ROSTER = {"public": "public", "members": "members", "moderators": "owners"}
POLICIES = {"open": "open", "confirm": "confirm", "moderate": "moderate", "confirm_then_moderate": "confirm_moderate"}
ACTIONS = {"accept", "hold", "reject", "discard"}
# config keys taken (or explained); the rest are named in the report when they hold something
MAPPED = {
    "display_name", "description", "info", "subject_prefix", "reply_goes_to_list", "reply_to_address",
    "max_message_size", "max_num_recipients", "subscription_policy", "unsubscription_policy", "archive_policy",
    "default_nonmember_action", "default_member_action", "member_roster_visibility", "send_welcome_message",
    "send_goodbye_message", "acceptable_aliases", "emergency", "digest_size_threshold", "dmarc_mitigate_action",
    "dmarc_mitigate_unconditionally", "moderator_password", "fqdn_listname", "list_name", "mail_host",
    "preferred_language", "footer_uri", "header_uri", "digest_footer_uri", "digest_header_uri",
    "filter_content", "filter_types", "pass_types", "filter_extensions", "pass_extensions", "collapse_alternatives",
    "convert_html_to_plaintext", "filter_action",
}
# filter_action: forward (to the owners) and preserve (for the site admin: the quarantine here) as in Mailman.
FILTER_ACTIONS = {"discard": "discard", "reject": "reject", "forward": "forward", "preserve": "preserve"}
BOOKKEEPING = {"http_etag", "self_link", "list_id", "posting_address", "request_address", "owner_address",
               "bounces_address", "join_address", "leave_address", "no_reply_address", "last_post_at",
               "created_at", "post_id", "next_digest_number", "volume", "digest_last_sent_at",
               "usenet_watermark", "member_count", "advertised"}  # fmt: skip

# Mailman 3's defaults for settings without an equivalent: a list that kept them lost nothing.
DEFAULTS = {"admin_immed_notify": True, "administrivia": True, "allow_list_posts": True, "anonymous_list": False,
            "include_rfc2369_headers": True, "collapse_alternatives": True, "require_explicit_destination": True,
            "respond_to_post_requests": True, "digests_enabled": True, "digest_send_periodic": True,
            "digest_volume_frequency": "monthly", "posting_pipeline": "default-posting-pipeline",
            "archive_rendering_mode": "text", "autoresponse_grace_period": "90d", "autorespond_owner": "none",
            "autorespond_postings": "none", "autorespond_requests": "none"}  # fmt: skip


class Mailman3Error(ValueError):
    pass


def api_fetcher(base_url: str, user: str, password: str, timeout: float = 30.0) -> Fetch:
    """Reads the REST API with HTTP basic authentication (Mailman's admin user and password)."""
    root = base_url.rstrip("/")
    if not root.endswith(("/3.0", "/3.1")):
        root += "/3.1"
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()

    def fetch(path: str) -> Any:
        request = urllib.request.Request(f"{root}/{path}", headers={"Authorization": f"Basic {credentials}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise Mailman3Error(f"{root}/{path}: the API answered {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise Mailman3Error(f"{root}/{path}: {exc}") from exc

    return fetch


def json_fetcher(directory: Path) -> Fetch:
    """Reads the files the curl commands of docs/migration.md saved."""

    def fetch(path: str) -> Any:
        if path.startswith("members/"):
            name = Path("preferences") / (path.split("/")[1] + ".json")
        else:
            rest = path.split("/", 2)[2] if path.count("/") >= 2 else ""
            name = Path(FILES.get("/" + rest if rest else "", ""))
        file = directory / name
        if not name.name or not file.is_file():
            return None
        try:
            return json.loads(file.read_bytes())
        except ValueError as exc:
            raise Mailman3Error(f"{file}: not JSON ({exc})") from exc

    return fetch


def plan_from_api(fetch: Fetch, list_ref: str, address: str = "") -> ListPlan:
    """Reads list `list_ref` (its list id ``garden.example.org`` or address) through `fetch`."""
    list_id = list_ref.replace("@", ".", 1) if "@" in list_ref else list_ref
    mlist = fetch(f"lists/{list_id}")
    if not isinstance(mlist, dict):
        raise Mailman3Error(f"no list {list_ref!r} in that Mailman 3 (lists/{list_id} not found)")
    config = fetch(f"lists/{list_id}/config") or {}
    address = (address or mlist.get("fqdn_listname") or config.get("fqdn_listname") or "").lower()
    plan = ListPlan(address=address, fields=_settings(mlist, config), report=MoveReport("Mailman 3"))
    plan.report.list_address = address
    _note_settings(config, plan)
    _people(fetch, list_id, plan)
    _waiting(fetch, list_id, plan)
    return plan


def _waiting(fetch: Fetch, list_id: str, plan: ListPlan) -> None:
    """Requests to join or leave that wait for the owners, and held posts: they wait here too. A
    request that waits for the person's own confirmation cannot move (the link they were mailed
    is the old host's): it is counted, and they ask again."""
    requests, held = fetch(f"lists/{list_id}/requests"), fetch(f"lists/{list_id}/held")
    if requests is None or held is None:
        plan.report.not_carried.append("requests to join or leave and held posts: not read (the API had none, or "
                                       "requests.json/held.json were not saved): decide them in Mailman first")  # fmt: skip
    unconfirmed = 0
    for entry in _entries(requests):
        if not entry.get("email"):
            continue
        if entry.get("token_owner") == "subscriber":
            unconfirmed += 1
        elif entry.get("token_owner", "moderator") == "moderator":
            plan.requests.append(RequestPlan(entry["email"], leave=entry.get("type") == "unsubscription",
                                             display_name=str(entry.get("display_name") or ""),
                                             since=str(entry.get("when") or "")))  # fmt: skip
    if unconfirmed:
        plan.report.not_carried.append(f"{unconfirmed} requests waiting for the person's own confirmation: the "
                                       "link they were mailed is the old host's; they ask again here")  # fmt: skip
    for entry in _entries(held):
        text = entry.get("msg")
        if not isinstance(text, str) or not text:
            plan.report.problems.append(f"held post {entry.get('request_id')} has no text in the answer: not moved")
            continue
        plan.held.append(HeldPlan(text.encode("utf-8", "surrogateescape"), sender=str(entry.get("sender") or ""),
                                  subject=str(entry.get("subject") or ""),
                                  message_id=str(entry.get("message_id") or "").strip().strip("<>"),
                                  reason=str(entry.get("reason") or "")))  # fmt: skip


def _settings(mlist: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    def get(key: str, default: Any) -> Any:
        value = config.get(key, mlist.get(key, default))
        return default if value is None else value

    member_action = get("default_member_action", "defer")
    fields: dict[str, Any] = {
        "display_name": str(get("display_name", "")),
        "description": str(get("description", "")),
        "info": str(get("info", "")),
        "subject_tag": str(get("subject_prefix", "")).strip(),
        "reply_to": REPLY_TO.get(get("reply_goes_to_list", "no_munging"), "none"),
        "reply_to_address": str(get("reply_to_address", "")),
        "max_message_kb": int(get("max_message_size", 40)),
        "max_recipients": int(get("max_num_recipients", 10)),
        "subscribe_policy": POLICIES.get(get("subscription_policy", "confirm"), "confirm"),
        "unsubscribe_policy": POLICIES.get(get("unsubscription_policy", "confirm"), "confirm"),
        "is_private": get("archive_policy", "public") != "public",
        "nonmember_action": get("default_nonmember_action", "hold") if get("default_nonmember_action", "hold")
        in ACTIONS else "hold",
        "member_moderation_action": member_action if member_action in ACTIONS - {"accept"} else "hold",
        "roster_visibility": ROSTER.get(get("member_roster_visibility", "moderators"), "owners"),
        "send_welcome": bool(get("send_welcome_message", True)),
        "send_goodbye": bool(get("send_goodbye_message", True)),
        "acceptable_aliases": [str(a) for a in get("acceptable_aliases", [])],
        "emergency": bool(get("emergency", False)),
        "digest_size_kb": int(float(get("digest_size_threshold", 30))),
        "dmarc_mitigation": DMARC.get(get("dmarc_mitigate_action", "munge_from"), "munge"),
        "dmarc_always": bool(get("dmarc_mitigate_unconditionally", False)),
    }
    if fields["reply_to"] == "explicit" and not fields["reply_to_address"]:
        fields["reply_to"] = "none"
    if get("filter_content", False):
        fields.update({
            "filter_content": True, "collapse_alternatives": bool(get("collapse_alternatives", True)),
            "convert_html_to_plaintext": bool(get("convert_html_to_plaintext", False)),
            "filter_action": FILTER_ACTIONS.get(str(get("filter_action", "discard")), "discard"),
            **{key: [str(v).strip() for v in get(key, []) if str(v).strip()]
               for key in ("filter_types", "pass_types", "filter_extensions", "pass_extensions")},
        })  # fmt: skip
    return fields


def _note_settings(config: dict[str, Any], plan: ListPlan) -> None:
    f, report = plan.fields, plan.report
    report.imported += [
        f"name {f['display_name']!r}, description, info ({len(f['info'])} characters), subject tag {f['subject_tag']!r}",
        f"Reply-To: {f['reply_to']}; DMARC: {f['dmarc_mitigation']}; largest post {f['max_message_kb']} KB",
        f"subscribing: {f['subscribe_policy']}, leaving: {f['unsubscribe_policy']}; archive "
        f"{'private (members only)' if f['is_private'] else 'public'}; non-members' posts: {f['nonmember_action']}",
    ]
    notes = report.not_carried
    if config.get("archive_policy") == "never":
        notes.append("archive_policy never: Listhaven archives every list (the archive is made members-only)")
    if config.get("reply_goes_to_list") == "explicit_header_only":
        notes.append("reply_goes_to_list explicit_header_only: the poster's own Reply-To is kept beside the list's")
    if config.get("dmarc_mitigate_action") in ("reject", "discard"):
        notes.append(f"dmarc_mitigate_action {config['dmarc_mitigate_action']}: posts are munged instead")
    if config.get("default_member_action") == "accept":
        notes.append("default_member_action accept: members' posts are accepted unless a member is moderated")
    if config.get("moderator_password"):
        notes.append("the moderator password: Mailman 3 keeps only its hash; set one anew if wanted")
    for key in ("footer_uri", "header_uri", "digest_footer_uri", "digest_header_uri"):
        if config.get(key):
            notes.append(f"{key} {config[key]!r}: Mailman 3's templates are not fetched; edit the footer here")
    if config.get("preferred_language", "en") not in ("en", None):
        notes.append("the list's language: Listhaven's notices are in English, editable per list")
    rest = sorted(k for k, v in config.items() if k not in MAPPED and k not in BOOKKEEPING
                  and v not in ("", None, [], {}, False) and DEFAULTS.get(k, object()) != v)  # fmt: skip
    if rest:
        notes.append("other Mailman 3 settings, no equivalent: " + ", ".join(rest))


def _entries(answer: Any) -> list[dict[str, Any]]:
    return [e for e in (answer or {}).get("entries", []) if isinstance(e, dict)]


def _people(fetch: Fetch, list_id: str, plan: ListPlan) -> None:
    plan.owners = [e["email"] for e in _entries(fetch(f"lists/{list_id}/roster/owner")) if e.get("email")]
    plan.moderators = [e["email"] for e in _entries(fetch(f"lists/{list_id}/roster/moderator")) if e.get("email")]
    plan.bans = [e["email"] for e in _entries(fetch(f"lists/{list_id}/bans")) if e.get("email")]
    for entry in _entries(fetch(f"lists/{list_id}/roster/nonmember")):
        action = entry.get("moderation_action")
        if entry.get("email") and action in ACTIONS:
            plan.nonmember_actions.append((entry["email"], action))
    actions: set[str] = set()
    for entry in _entries(fetch(f"lists/{list_id}/roster/member")):
        if not entry.get("email"):
            continue
        preferences = fetch(f"members/{entry.get('member_id')}/all/preferences") or {}
        plan.members.append(_member(entry, preferences, plan.report))
        if entry.get("moderation_action") in ACTIONS - {"accept"}:
            actions.add(entry["moderation_action"])
    if len(actions) > 1:
        plan.report.not_carried.append(
            f"members moderated with different actions ({', '.join(sorted(actions))}): each is moderated, "
            f"with the list's action ({plan.fields['member_moderation_action']})")
    disabled = sum(m.delivery_status != "enabled" for m in plan.members)
    digests = sum(m.delivery_mode != "regular" for m in plan.members)
    plan.report.imported += [
        f"{len(plan.owners)} owners, {len(plan.moderators)} moderators, {len(plan.bans)} bans, "
        f"{len(plan.nonmember_actions)} non-member actions",
        f"{len(plan.members)} members ({digests} digest, {disabled} with delivery disabled), display names and "
        "preferences (own posts, acknowledgements, hidden address, delivery mode and status, moderation)",
    ]


def _member(entry: dict[str, Any], preferences: dict[str, Any], report: MoveReport) -> MemberPlan:
    mode = preferences.get("delivery_mode") or entry.get("delivery_mode") or "regular"
    member = MemberPlan(
        address=entry["email"],
        display_name=str(entry.get("display_name") or ""),
        delivery_mode=DELIVERY_MODES.get(mode, "regular"),
        receive_own_posts=bool(preferences.get("receive_own_postings", True)),
        acknowledge_posts=bool(preferences.get("acknowledge_posts", False)),
        hide_address=bool(preferences.get("hide_address", True)),
        moderated=entry.get("moderation_action") in ("hold", "reject", "discard"),
        bounce_score=float(entry.get("bounce_score") or 0),
    )
    if mode == "summary_digests":
        report.not_carried.append(f"{entry['email']}: summary digests, now MIME digests")
    status = preferences.get("delivery_status") or "enabled"
    if status in DELIVERY_STATUS:
        member.delivery_status, why = DELIVERY_STATUS[status]
        member.disabled_reason = f"disabled {why} in Mailman 3"
    if preferences.get("receive_list_copy") is False:
        report.not_carried.append(f"{entry['email']}: receive_list_copy off (no list copy when addressed directly)")
    return member
