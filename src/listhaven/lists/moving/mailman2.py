"""Moving a list from Mailman 2.1: its config.pck read into a `ListPlan`, then applied at once.

Mailman 2's names and codes (Mailman/Defaults.py, Mailman/MemberAdaptor.py) are translated here;
everything a config holds that has no counterpart is named in the report (`NOT_CARRIED` explains
the notable ones; the rest are listed by key).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path
from typing import Any

from listhaven.lists.models import MailingList
from listhaven.lists.moving.plan import HeldPlan, ListPlan, MemberPlan, RequestPlan
from listhaven.lists.moving.report import MoveReport
from listhaven.lists.moving.safe_pickle import BounceRecord, load_config, load_held_message

# user_options bits (Mailman/Defaults.py)
DISABLE_DELIVERY = 1  # obsolete since 2.1: delivery_status says it; honoured when alone
DONT_RECEIVE_OWN_POSTS = 2
ACKNOWLEDGE_POSTS = 4
DISABLE_MIME = 8  # digests as plain text (RFC 1153)
CONCEAL_SUBSCRIPTION = 16
SUPPRESS_PASSWORD_REMINDER = 32
RECEIVE_NONMATCHING_TOPICS = 64
MODERATE = 128
DONT_RECEIVE_DUPLICATES = 256
# delivery_status codes (Mailman/MemberAdaptor.py)
DELIVERY_STATUS = {1: ("by_owner", "for an unknown reason"), 2: ("by_user", "by the member"),
                   3: ("by_owner", "by an owner"), 4: ("by_bounces", "because of bounces")}  # fmt: skip
POLICIES = {0: "open", 1: "confirm", 2: "moderate", 3: "confirm_moderate"}
NONMEMBER_ACTIONS = {0: "accept", 1: "hold", 2: "reject", 3: "discard"}
MEMBER_ACTIONS = {0: "hold", 1: "reject", 2: "discard"}
REPLY_TO = {0: "none", 1: "list", 2: "explicit"}
ROSTER = {0: "public", 1: "members", 2: "owners"}
NONMEMBER_LISTS = {"accept": "accept_these_nonmembers", "hold": "hold_these_nonmembers",
                   "reject": "reject_these_nonmembers", "discard": "discard_these_nonmembers"}  # fmt: skip
DAY = 86400  # Mailman 2 keeps intervals in seconds
VOLUME_FREQUENCY = {0: "yearly", 1: "monthly"}  # 2 quarterly, 3 weekly, 4 daily: no equivalent, reported
HOLD = 7  # mm_cfg.HOLD, an action of header_filter_rules (DEFER 0, REJECT 2, DISCARD 3, ACCEPT 6)
FILTER_ACTIONS = {0: "defer", 1: "approve", 2: "reject", 3: "discard", 6: "accept", 7: "hold"}
DMARC_ACTIONS = {1: "munge", 2: "wrap"}  # from_is_list and dmarc_moderation_action (3 reject, 4 discard)
# Mailman 2.1's stock bounce_matching_headers (Defaults.py): spam markers of 1999, not carried.
SUSPICIOUS_DEFAULT = {"to: friend@public.com", "message-id: relay.comanche.denmark.eu", "from: list@listme.com",
                      "from: .*@uplinkpro.com"}  # fmt: skip
# Mailman 2 footer substitutions that have a Listhaven placeholder.
FOOTER_PLACEHOLDERS = {
    "%(real_name)s@%(host_name)s": "{list_address}", "%(list_name)s@%(host_name)s": "{list_address}",
    "%(_internal_name)s@%(host_name)s": "{list_address}", "%(user_delivered_to)s": "{member_address}",
    "%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s": "{listinfo_url}",
    "%(real_name)s": "{list_name}", "%(list_name)s": "{list_name}", "%(description)s": "{description}",
    "%(user_address)s": "{member_address}", "%(user_optionsurl)s": "{options_url}",
}  # fmt: skip
_FOOTER_VARIABLE = re.compile(r"%\((\w+)\)s")
_DOLLAR_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")  # string.Template's, as Mailman 2 reads them
_CHARACTER_REFERENCE = re.compile(r"&#(\d{1,7}|[xX][0-9a-fA-F]{1,6});")

# Keys read (mapped to a setting, or explained in the report), and Mailman's bookkeeping.
MAPPED = {
    "real_name", "description", "info", "subject_prefix", "msg_footer", "reply_goes_to_list", "reply_to_address",
    "max_message_size", "subscribe_policy", "unsubscribe_policy", "archive_private", "generic_nonmember_action",
    "accept_these_nonmembers", "hold_these_nonmembers", "reject_these_nonmembers", "discard_these_nonmembers",
    "ban_list", "owner", "moderator", "members", "digest_members", "usernames", "user_options", "delivery_status",
    "passwords", "member_moderation_action", "private_roster", "send_welcome_msg", "send_goodbye_msg",
    "max_num_recipients", "acceptable_aliases", "emergency", "digest_size_threshhold", "bounce_info",
    "mod_password", "password", "post_password", "language", "preferred_language", "topics", "topics_userinterest",
    "archive", "_internal_name", "host_name", "web_page_url",
    "obscure_addresses", "digest_header", "digest_footer", "digest_send_periodic", "digest_volume_frequency",
    "header_filter_rules", "bounce_matching_headers", "require_explicit_destination", "administrivia",
    "bounce_score_threshold", "bounce_info_stale_after", "bounce_you_are_disabled_warnings",
    "bounce_you_are_disabled_warnings_interval", "bounce_notify_owner_on_disable", "bounce_notify_owner_on_removal",
    "from_is_list", "dmarc_moderation_action", "advertised", "bounce_processing", "personalize",
    "use_dollar_strings", "max_days_to_hold",
    "filter_content", "filter_mime_types", "pass_mime_types", "filter_filename_extensions",
    "pass_filename_extensions", "collapse_alternatives", "convert_html_to_plaintext", "filter_action",
}
# filter_action: 0 discard, 1 reject, 2 forward to the owners, 3 preserve for the site admin (the quarantine here).
CONTENT_FILTER_ACTIONS = {0: "discard", 1: "reject", 2: "forward", 3: "preserve"}
# Mailman 2.1's defaults (Mailman/Defaults.py) for keys without an equivalent: a list that kept
# them loses nothing, so the report does not name them.
DEFAULTS: dict[str, Any] = {
    "admin_immed_notify": 1, "admin_notify_mchanges": 0, "anonymous_list": 0, "archive_volume_frequency": 1,
    "autorespond_admin": 0, "autorespond_postings": 0, "autorespond_requests": 0, "autoresponse_admin_text": "",
    "autoresponse_postings_text": "", "autoresponse_request_text": "", "autoresponse_graceperiod": 90,
    "bounce_unrecognized_goes_to_list_owner": 1, "collapse_alternatives": 1, "convert_html_to_plaintext": 1,
    "digestable": 1, "nondigestable": 1, "digest_is_default": 0, "mime_is_default_digest": 0, "filter_content": 0,
    "filter_action": 0, "filter_mime_types": "", "filter_filename_extensions": ["exe", "bat", "cmd", "com", "pif",
    "scr", "vbs", "cpl"], "pass_filename_extensions": [], "pass_mime_types": ["multipart/mixed",
    "multipart/alternative", "text/plain"], "first_strip_reply_to": 0, "forward_auto_discards": 1,
    "gateway_to_mail": 0, "gateway_to_news": 0, "linked_newsgroup": "", "nntp_host": "", "news_moderation": 0,
    "news_prefix_subject_too": 1, "include_list_post_header": 1, "include_rfc2369_headers": 1,
    "include_sender_header": 1, "msg_header": "", "regular_exclude_lists": [],
    "regular_include_lists": [], "regular_exclude_ignore": 1, "respond_to_post_requests": 1, "scrub_nondigest": 0,
    "topics_enabled": 0, "topics_bodylines_limit": 5, "umbrella_list": 0, "umbrella_member_suffix": "-owner",
    "send_reminders": 1, "welcome_msg": "", "goodbye_msg": "", "dmarc_quarantine_moderation_action": 1,
    "dmarc_none_moderation_action": 0, "dmarc_moderation_notice": "", "dmarc_wrapped_message_text": "",
    "equivalent_domains": "", "available_languages": ["en"], "encode_ascii_prefixes": 0,
    "nonmember_rejection_notice": "", "member_moderation_notice": "", "subscribe_auto_approval": [],
    "admin_member_chunksize": 30, "drop_cc": 1, "member_verbosity_threshold": 5, "member_verbosity_interval": 300,
}  # fmt: skip
BOOKKEEPING = {"data_version", "created_at", "last_post_time", "post_id", "next_digest_number", "volume",
               "one_last_digest", "digest_last_sent_at", "hold_and_cmd_autoresponses", "admin_responses",
               "postings_responses", "request_responses", "new_member_options", "cgiext"}  # fmt: skip


class Mailman2Error(ValueError):
    pass


def read_config_file(path: Path) -> dict[str, Any]:
    """The config.pck at `path`, read with the restricted unpickler (safe_pickle)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Mailman2Error(f"cannot read {path}: {exc.strerror}") from exc
    return load_config(data)


def plan_from_config(config: dict[str, Any], address: str = "") -> ListPlan:
    """Translates a config.pck's dict. `address` overrides the list's address (a new host name)."""
    if not address:
        name, host = str(config.get("_internal_name", "")), str(config.get("host_name", ""))
        if not name or not host:
            raise Mailman2Error("the config has no _internal_name/host_name; give the list's address with --address")
        address = f"{name}@{host}"
    # The footer's other %(host_name)s say the list's host name here.
    config = config | {"host_name": address.rpartition("@")[2].lower()}
    plan = ListPlan(address=address.lower(), fields=_settings(config), report=MoveReport("Mailman 2.1"))
    plan.report.list_address = plan.address
    plan.old_name = str(config.get("_internal_name", "") or "").lower()
    _note_settings(config, plan)
    _people(config, plan)
    _members(config, plan)
    _not_carried(config, plan)
    return plan


# request.pck (Mailman/ListAdmin.py): {id: (kind, data), "version": ...}
HELDMSG, SUBSCRIPTION, UNSUBSCRIPTION = 1, 2, 3


def add_requests(requests: dict[Any, Any], plan: ListPlan, held_dir: Path | None = None) -> None:
    """The list's waiting requests (lists/LIST/request.pck, read like config.pck): requests to join
    or leave wait for the owners here. A held post waits for the moderators here when its text is
    found in `held_dir` (Mailman's data/ directory: heldmsg-LIST-N.pck, read as safely, or .txt);
    otherwise it is named with its sender, subject and reason, to be decided in Mailman."""
    for key, value in sorted(((k, v) for k, v in requests.items() if isinstance(k, int)), key=lambda kv: kv[0]):
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            continue
        kind, data = value
        if kind == SUBSCRIPTION and isinstance(data, (tuple, list)) and len(data) >= 5:
            when, address, name, _password, digest = data[:5]
            plan.requests.append(RequestPlan(str(address), display_name=web_text(name),
                                             delivery_mode="mime_digest" if digest else "regular", since=_day(when)))  # fmt: skip
        elif kind == UNSUBSCRIPTION and data:
            address = data[1] if isinstance(data, (tuple, list)) and len(data) > 1 else data
            plan.requests.append(RequestPlan(str(address), leave=True))
        elif kind == HELDMSG and isinstance(data, (tuple, list)) and len(data) >= 4:
            when, sender, subject, reason = data[:4]
            filename = Path(str(data[4])).name if len(data) > 4 and data[4] else ""
            raw = _held_text(held_dir / filename, plan) if held_dir and filename else None
            if raw is not None:
                found = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)["Message-ID"]
                plan.held.append(HeldPlan(raw, sender=str(sender), subject=str(subject), reason=str(reason),
                                          message_id=str(found or "").strip().strip("<>")))  # fmt: skip
                continue
            where = f"{filename} not found in {held_dir}" if held_dir else "give --held-dir, Mailman's data/ directory"
            plan.report.not_carried.append(
                f"held post {key} from {sender} ({_day(when)}): {str(subject)!r}, held because {reason}: its text "
                f"was not read ({where}); decide it in Mailman's admindb before the move")  # fmt: skip


def _held_text(path: Path, plan: ListPlan) -> bytes | None:
    for candidate in (path, path.with_suffix(".txt"), path.with_suffix(".pck")):
        if not candidate.is_file():
            continue
        data = candidate.read_bytes()
        if candidate.suffix != ".pck":
            return data
        try:
            return load_held_message(data)
        except ValueError as exc:  # UnsafePickle too: named, and the post is not moved
            plan.report.problems.append(f"{candidate}: {exc}")
            return None
    return None


def _day(when: Any) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d") if isinstance(when, (int, float)) and when > 0 else ""


def _int(config: dict[str, Any], key: str, default: int = 0) -> int:
    value = config.get(key, default)
    return int(value) if isinstance(value, (int, float)) else default


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    prefix = str(config.get("subject_prefix", "")).strip()
    fields: dict[str, Any] = {
        "display_name": web_text(config.get("real_name", "")),
        "description": web_text(config.get("description", "")),
        "info": web_text(config.get("info", "")),
        "subject_tag": re.sub(r"\s*%\d*d\s*", " ", prefix).replace("[ ", "[").replace(" ]", "]").strip(),
        "footer": convert_footer(str(config.get("msg_footer", "")), config)[0],
        "reply_to": REPLY_TO.get(_int(config, "reply_goes_to_list"), "none"),
        "reply_to_address": str(config.get("reply_to_address", "") or ""),
        "max_message_kb": _int(config, "max_message_size", 40),
        "subscribe_policy": POLICIES.get(_int(config, "subscribe_policy", 1), "confirm"),
        "unsubscribe_policy": "confirm_moderate" if _int(config, "unsubscribe_policy") else "confirm",
        "is_private": bool(config.get("archive_private", 0)),
        "nonmember_action": NONMEMBER_ACTIONS.get(_int(config, "generic_nonmember_action", 1), "hold"),
        "member_moderation_action": MEMBER_ACTIONS.get(_int(config, "member_moderation_action"), "hold"),
        "roster_visibility": ROSTER.get(_int(config, "private_roster", 2), "owners"),
        "send_welcome": bool(config.get("send_welcome_msg", 1)),
        "send_goodbye": bool(config.get("send_goodbye_msg", 1)),
        "max_recipients": _int(config, "max_num_recipients", 10),
        "acceptable_aliases": [a.strip() for a in str(config.get("acceptable_aliases", "")).splitlines() if a.strip()],
        "emergency": bool(config.get("emergency", 0)),
        "digest_size_kb": _int(config, "digest_size_threshhold", 30),
    }
    if fields["reply_to"] == "explicit" and not fields["reply_to_address"]:
        fields["reply_to"] = "none"
    fields.update(_more_settings(config))
    return fields


def _more_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The settings beyond the list's identity and policies: digests, filters, rules, bounces,
    DMARC, address obscuring. A key the config lacks keeps Listhaven's default."""
    fields: dict[str, Any] = {"obfuscate_addresses": bool(config.get("obscure_addresses", 1))}
    for key in ("digest_header", "digest_footer"):
        if str(config.get(key, "") or "").strip():
            fields[key] = convert_footer(str(config[key]), config)[0]
    if "digest_send_periodic" in config:
        fields["digest_frequency"] = "daily" if config["digest_send_periodic"] else "size"
    volume = VOLUME_FREQUENCY.get(_int(config, "digest_volume_frequency", 1))
    if volume:
        fields["digest_volume_frequency"] = volume
    filters = _header_filters(config)
    if filters:
        fields["header_filters"] = filters
    fields["disabled_rules"] = [rule for key, rule in (("require_explicit_destination", "implicit-destination"),
                                                       ("administrivia", "administrivia"))
                                if key in config and not config[key]]  # fmt: skip
    if "bounce_score_threshold" in config:
        fields["bounce_threshold"] = float(config["bounce_score_threshold"] or 5.0)
    for key, field, unit in (("bounce_info_stale_after", "bounce_stale_days", DAY),
                             ("bounce_you_are_disabled_warnings", "bounce_warnings", 1),
                             ("bounce_you_are_disabled_warnings_interval", "bounce_warning_days", DAY)):  # fmt: skip
        if isinstance(config.get(key), (int, float)):
            fields[field] = max(0, round(config[key] / unit))
    if "bounce_notify_owner_on_disable" in config or "bounce_notify_owner_on_removal" in config:
        fields["bounce_notify_owners"] = bool(config.get("bounce_notify_owner_on_disable")
                                              or config.get("bounce_notify_owner_on_removal"))  # fmt: skip
    if _int(config, "max_days_to_hold") > 0:
        fields["hold_days"] = _int(config, "max_days_to_hold")
    if config.get("filter_content"):
        fields.update(_content_filter(config))
    from_is_list, dmarc = _int(config, "from_is_list"), _int(config, "dmarc_moderation_action")
    if from_is_list in DMARC_ACTIONS:
        fields["dmarc_mitigation"], fields["dmarc_always"] = DMARC_ACTIONS[from_is_list], True
    elif dmarc in DMARC_ACTIONS:
        fields["dmarc_mitigation"], fields["dmarc_always"] = DMARC_ACTIONS[dmarc], False
    return fields


def _content_filter(config: dict[str, Any]) -> dict[str, Any]:
    """Mailman's content filtering, for a list that had it on (its type and extension lists are text, a
    line each, or lists; Mailman's own defaults apply to the keys the config lacks)."""

    def lines(key: str) -> list[str]:
        value = config.get(key, DEFAULTS.get(key, ""))
        items = value.splitlines() if isinstance(value, str) else list(value or [])
        return [str(item).strip() for item in items if str(item).strip()]

    return {
        "filter_content": True, "filter_types": lines("filter_mime_types"), "pass_types": lines("pass_mime_types"),
        "filter_extensions": lines("filter_filename_extensions"), "pass_extensions": lines("pass_filename_extensions"),
        "collapse_alternatives": bool(config.get("collapse_alternatives", 1)),
        "convert_html_to_plaintext": bool(config.get("convert_html_to_plaintext", 1)),
        "filter_action": CONTENT_FILTER_ACTIONS.get(_int(config, "filter_action"), "discard"),
    }  # fmt: skip


def _header_filters(config: dict[str, Any]) -> list[str]:
    """Listhaven holds a post whose header line matches a regex: Mailman's header_filter_rules whose
    action is Hold (each line of their patterns a regex over 'Name: value'), and its
    bounce_matching_headers ('name: regex' lines, the "suspicious headers" that hold a post)."""
    filters: list[str] = []
    for rule in config.get("header_filter_rules") or []:
        if isinstance(rule, (tuple, list)) and len(rule) >= 2 and rule[1] == HOLD:
            filters += [line.strip() for line in str(rule[0]).splitlines() if line.strip()]
    for line in str(config.get("bounce_matching_headers", "") or "").splitlines():
        name, colon, pattern = line.strip().partition(":")
        if colon and name and not name.startswith("#") and pattern.strip() and line.strip() not in SUSPICIOUS_DEFAULT:
            filters.append(f"^{re.escape(name.strip())}:.*(?:{pattern.strip()})")
    return filters


def web_text(value: Any) -> str:
    """A text typed in Mailman 2's web pages, character references decoded: an English list's pages
    were served as us-ascii, so browsers sent "Café" as ``Caf&#233;`` and Mailman kept it so."""
    return _CHARACTER_REFERENCE.sub(_character, str(value or ""))


def _character(match: re.Match[str]) -> str:
    code = int(match.group(1)[1:], 16) if match.group(1)[0] in "xX" else int(match.group(1))
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)


def convert_footer(footer: str, config: dict[str, Any]) -> tuple[str, list[str]]:
    """Mailman 2's ``%(name)s`` footer (or ``$name`` with use_dollar_strings) as a Listhaven
    ``{name}`` template, and the variables that had no placeholder (written in as the list's
    value, or left out when per member)."""
    if config.get("use_dollar_strings"):
        footer = _DOLLAR_VARIABLE.sub(lambda m: f"%({m.group(1) or m.group(2)})s", footer.replace("$$", "\0"))
        footer = footer.replace("\0", "$")
    for old, new in FOOTER_PLACEHOLDERS.items():
        footer = footer.replace(old, new)
    leftovers: list[str] = []

    def fixed(match: re.Match[str]) -> str:
        leftovers.append(match.group(1))
        value = config.get(match.group(1))
        return str(value) if isinstance(value, (str, int)) and not match.group(1).startswith("user_") else ""

    return _FOOTER_VARIABLE.sub(fixed, footer), leftovers


def _note_settings(config: dict[str, Any], plan: ListPlan) -> None:
    f, report = plan.fields, plan.report
    report.imported += [
        f"name {f['display_name']!r}, description, info ({len(f['info'])} characters), subject tag {f['subject_tag']!r}",
        f"Reply-To: {f['reply_to']}" + (f" ({f['reply_to_address']})" if f["reply_to"] == "explicit" else ""),
        f"largest post {f['max_message_kb']} KB, at most {f['max_recipients']} recipients, "
        f"subscribing: {f['subscribe_policy']}, leaving: {f['unsubscribe_policy']}",
        f"archive {'private (members only)' if f['is_private'] else 'public'}; non-members' posts: "
        f"{f['nonmember_action']}; moderated members' posts: {f['member_moderation_action']}",
        "footer" + (" (Mailman's variables turned into placeholders)" if config.get("msg_footer") else " (none)"),
    ]
    if re.search(r"%\d*d", str(config.get("subject_prefix", ""))):
        report.not_carried.append("the post number in the subject prefix (%d): Listhaven's tag has no counter")
    _, leftovers = convert_footer(str(config.get("msg_footer", "")), config)
    for name in sorted(set(leftovers)):
        how = "left out (per member, no equivalent)" if name.startswith("user_") else "written in as its value"
        report.not_carried.append(f"footer variable %({name})s: {how}")
    if "max_days_to_hold" in config and _int(config, "max_days_to_hold") <= 0:
        report.not_carried.append(
            "max_days_to_hold = 0 (held posts wait for a moderator for ever): held posts expire here, after "
            f"{f.get('hold_days', MailingList._meta.get_field('hold_days').default)} days; raise 'Held posts expire (days)' on the settings page")
    if not config.get("archive", 1):
        report.not_carried.append("archive = off: Listhaven archives every list (restrict it to owners instead)")


def _addresses(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _people(config: dict[str, Any], plan: ListPlan) -> None:
    plan.owners = _addresses(config.get("owner"))
    plan.moderators = _addresses(config.get("moderator"))
    plan.bans = _addresses(config.get("ban_list"))
    for action, key in NONMEMBER_LISTS.items():
        for entry in _addresses(config.get(key)):
            if entry.startswith("^") or entry.startswith("@"):
                kind = "a pattern" if entry.startswith("^") else "another list's members"
                plan.report.not_carried.append(
                    f"{key} entry {entry!r} ({kind}): a non-member action applies to one address here")
            else:
                plan.nonmember_actions.append((entry, action))
    plan.report.imported.append(
        f"{len(plan.owners)} owners, {len(plan.moderators)} moderators, {len(plan.bans)} bans, "
        f"{len(plan.nonmember_actions)} non-member actions")


def _members(config: dict[str, Any], plan: ListPlan) -> None:
    names = config.get("usernames") or {}
    options = config.get("user_options") or {}
    statuses = config.get("delivery_status") or {}
    bounces = config.get("bounce_info") or {}
    for table, digest in (("members", False), ("digest_members", True)):
        for key, value in (config.get(table) or {}).items():
            bits = int(options.get(key, 0) or 0)
            member = MemberPlan(address=value if isinstance(value, str) and value else key,
                                display_name=web_text(names.get(key, "")))  # fmt: skip
            if digest:
                member.delivery_mode = "plain_digest" if bits & DISABLE_MIME else "mime_digest"
            member.receive_own_posts = not bits & DONT_RECEIVE_OWN_POSTS
            member.acknowledge_posts = bool(bits & ACKNOWLEDGE_POSTS)
            member.hide_address = bool(bits & CONCEAL_SUBSCRIPTION)
            member.moderated = bool(bits & MODERATE)
            _delivery(member, statuses.get(key), bits)
            record = bounces.get(key)
            if isinstance(record, BounceRecord):
                member.bounce_score = float(record.state.get("score", 0) or 0)
            plan.members.append(member)
    regular = sum(m.delivery_mode == "regular" for m in plan.members)
    disabled = sum(m.delivery_status != "enabled" for m in plan.members)
    plan.report.imported.append(
        f"{len(plan.members)} members ({regular} regular, {len(plan.members) - regular} digest; {disabled} with "
        "delivery disabled, each with its reason), display names and options (own posts, acknowledgements, "
        "plain digests, concealed, moderated)")


def _delivery(member: MemberPlan, status: Any, bits: int) -> None:
    code, when = (status[0], status[1]) if isinstance(status, (tuple, list)) and len(status) >= 2 else (0, 0)
    if not code and bits & DISABLE_DELIVERY:
        code = 2
    if not code:
        return
    member.delivery_status, why = DELIVERY_STATUS.get(int(code), ("by_owner", "for an unknown reason"))
    day = ""
    if isinstance(when, (int, float)) and when > 0:
        day = " on " + datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")
    member.disabled_reason = f"disabled {why} in Mailman 2{day}"


def _is_default(key: str, value: Any) -> bool:
    if key not in DEFAULTS:
        return False
    default = DEFAULTS[key]
    if isinstance(default, list):
        return isinstance(value, (list, tuple, set)) and sorted(map(str, value)) == sorted(map(str, default))
    if isinstance(default, str):
        return str(value or "").strip() == default
    return bool(value == default)


def _not_carried(config: dict[str, Any], plan: ListPlan) -> None:
    notes = plan.report.not_carried
    passwords = config.get("passwords") or {}
    if passwords:
        notes.append(f"members' passwords ({len(passwords)}): ignored; members sign in with a link mailed to them")
    if any(config.get(k) for k in ("mod_password", "password", "post_password")):
        notes.append("the list's admin/moderator/poster passwords: Mailman keeps only their SHA-1 hashes; "
                     "owners sign in by mail, set a moderator password anew if wanted")  # fmt: skip
    options = config.get("user_options") or {}
    for bit, what in ((SUPPRESS_PASSWORD_REMINDER, "password reminders off"),
                      (DONT_RECEIVE_DUPLICATES, "no duplicates of posts also sent to them"),
                      (RECEIVE_NONMATCHING_TOPICS, "posts matching no topic")):  # fmt: skip
        count = sum(1 for v in options.values() if int(v or 0) & bit)
        if count:
            notes.append(f"member option '{what}' ({count} members): no equivalent")
    languages = {str(v) for v in (config.get("language") or {}).values()}
    if config.get("preferred_language", "en") != "en" or languages - {"en"}:
        notes.append("languages (list and per member): Listhaven's notices are in English, editable per list")
    if config.get("topics"):
        notes.append(f"topics ({len(config['topics'])}) and members' topic choices: no equivalent")
    if config.get("bounce_info"):
        notes.append("bounce records: the score is kept per member; notices left and dates restart")
    if "advertised" in config and not config["advertised"]:
        notes.append("advertised = no: Listhaven names every list with a public archive on its front page; "
                     "make the archive members-only (--archive-policy members) to keep it off")  # fmt: skip
    if "bounce_processing" in config and not config["bounce_processing"]:
        notes.append("bounce_processing = off: Listhaven counts every list's bounces (threshold kept)")
    if _int(config, "personalize"):
        notes.append("personalize: every copy is personalised here (VERP, the member's own unsubscribe link)")
    if _int(config, "digest_volume_frequency", 1) not in VOLUME_FREQUENCY:
        notes.append("digest_volume_frequency quarterly/weekly/daily: a new digest volume each month here")
    if _int(config, "from_is_list") not in (0, *DMARC_ACTIONS) or _int(config, "dmarc_moderation_action") in (3, 4):
        notes.append("DMARC reject/discard of posts from p=reject domains: their From is munged instead")
    for rule in config.get("header_filter_rules") or []:
        if isinstance(rule, (tuple, list)) and len(rule) >= 2 and rule[1] != HOLD:
            patterns = " | ".join(line.strip() for line in str(rule[0]).splitlines() if line.strip())
            notes.append(f"header filter {patterns!r} ({FILTER_ACTIONS.get(rule[1], rule[1])}): Listhaven's header "
                         "filters hold a post; add it with that action there if wanted")  # fmt: skip
    rest = sorted(k for k in config if k not in MAPPED and k not in BOOKKEEPING and not k.startswith("_")
                  and not _is_default(k, config[k]))  # fmt: skip
    if rest:
        notes.append("other Mailman 2 settings, no equivalent (Mailman's default values not named): " + ", ".join(rest))
