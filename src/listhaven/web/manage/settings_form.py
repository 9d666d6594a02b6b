"""The list settings form: every field an owner tunes, grouped as an owner thinks of them, each
with the text that explains it (shown on the page), validated before anything is saved."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from listhaven.lists.chain import CHAIN, RULE_NAMES
from listhaven.lists.models import MailingList
from listhaven.mail.footer import PLACEHOLDERS
from listhaven.web.widget_html import PlainWidgets

GROUPS: list[tuple[str, str, list[str]]] = [
    ("identity", "Identity", ["display_name", "description", "info", "subject_tag"]),
    ("posting", "Posting and moderation", ["emergency", "nonmember_action", "member_moderation_action",
                                           "max_message_kb", "max_recipients", "acceptable_aliases", "header_filters",
                                           "disabled_rules", "hold_days"]),
    ("decoration", "Decoration", ["footer", "reply_to", "reply_to_address", "dmarc_mitigation", "dmarc_always"]),
    ("content", "Content filtering", ["filter_content", "filter_types", "pass_types", "filter_extensions",
                                      "pass_extensions", "collapse_alternatives", "convert_html_to_plaintext",
                                      "filter_action"]),
    ("delivery", "Delivery", ["personalised"]),
    ("subscription", "Subscription", ["subscribe_policy", "unsubscribe_policy", "send_welcome", "send_goodbye",
                                      "roster_visibility", "max_commands"]),
    ("digests", "Digests", ["digest_size_kb", "digest_frequency", "digest_volume_frequency", "digest_header",
                            "digest_footer"]),
    ("bounces", "Bounces", ["bounce_threshold", "bounce_temporary", "bounce_stale_days", "bounce_warnings",
                            "bounce_warning_days", "bounce_notify_owners"]),
    ("archive", "Archive", ["archive_policy", "obfuscate_addresses"]),
]  # fmt: skip
FIELDS = [name for _, _, names in GROUPS for name in names]
EXTRA_HELP = {
    "display_name": "the list's name as people read it, in page headers and mail",
    "description": "one paragraph shown on the list information page",
    "subject_tag": "put in front of each post's subject, e.g. [Garden]; empty: no tag",
    "reply_to": "where replies go: as the sender set it, to the list, or to the address below",
    "reply_to_address": "used when replies go to an explicit address",
    "dmarc_mitigation": "for senders whose domain publishes a DMARC policy of quarantine or reject: "
                        "rewrite From as the list, or wrap the post as an attachment",
    "archive_policy": "who can read the archive: anyone; members (and moderators, owners); owners only. "
                      "Everyone else gets 404, as for a list that does not exist",
    "obfuscate_addresses": "show addresses in the archive as ‘user at example.com’",
    "disabled_rules": "one rule name a line, skipped by this list: " + ", ".join(r.name for r in CHAIN),
    "acceptable_aliases": "one a line: other addresses (or ^regex) that count as the list in To/Cc",
    "header_filters": "one regex a line over 'Name: value' header lines; a match holds the post",
    "info": "a longer introduction shown on the list information page (Mailman's info)",
    "subscribe_policy": "how a request to join is decided: at once; when the address confirms by mail; when an "
                        "owner approves (on the Requests page or by replying); or both in turn",
    "unsubscribe_policy": "the same for leaving by mail or the web form; one-click unsubscribe links in the "
                          "list's mail always act at once (RFC 8058)",
    "roster_visibility": "who may ask for the roster by mail (the 'who' command); the web roster is for owners",
    "max_commands": "lines of commands read from one message to the -request address; the rest are ignored",
    "digest_volume_frequency": "when the digest's volume number goes up (the issue number starts again at 1)",
    "filter_content": "remove from each post the parts the lists below name, before it is archived and sent "
                      "(Mailman's content filtering); off: posts go as they came",
    "filter_types": "one a line: MIME types removed (image/png), or a whole main type (image)",
    "pass_types": "one a line: when not empty, only parts of these types are kept (multipart containers always are)",
    "filter_extensions": "one a line: attachments whose file name ends in one of these are removed (exe, bat)",
    "pass_extensions": "one a line: when not empty, only attachments with these endings are kept",
    "filter_action": "what becomes of a post of which filtering leaves nothing: discarded, rejected with a "
                     "notice to the sender, held for a moderator, forwarded whole to the owners, or kept whole in "
                     "the quarantine for the site admin (Mailman's preserve)",
    "bounce_threshold": "a member's delivery is disabled when their bounce score reaches this "
                        "(each permanent failure scores 1, at most one a day)",
}

# The texts filled with mail/footer.py's placeholders, each copy's or each digest's own values.
DECORATIONS = ("footer", "digest_header", "digest_footer")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Mailman's own ways of writing a variable (2.1's %(name)s, 3's $name and ${name}), and its names
# that have a placeholder here: an owner moving a list pastes its old footer.
_MAILMAN_VARIABLE = re.compile(r"%\((\w+)\)s|\$\{(\w+)\}|\$([a-z_]+)\b")
_MAILMAN_NAMES = {
    "real_name": "list_name", "display_name": "list_name", "list_name": "list_name", "listname": "list_address",
    "fqdn_listname": "list_address", "description": "description", "list_id": "list_id",
    "listinfo_uri": "listinfo_url", "listinfo_url": "listinfo_url", "request_email": "request_address",
    "owner_email": "owner_address", "user_address": "member_address", "user_delivered_to": "member_address",
    "user_email": "member_address", "user_optionsurl": "options_url", "user_options_uri": "options_url",
}  # fmt: skip
PLACEHOLDER_HELP = "; placeholders: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS)

# Labels where the field's name does not read well: Django makes "Max message kb" and "Dmarc always" of them.
LABELS = {
    "max_message_kb": "Largest post (KB)", "max_recipients": "Most recipients", "hold_days": "Held posts expire (days)",
    "reply_to_address": "Reply-To address", "dmarc_mitigation": "DMARC mitigation",
    "dmarc_always": "DMARC mitigation for every post", "personalised": "Personalised copies",
    "max_commands": "Most commands in one mail", "digest_size_kb": "Digest size (KB)",
    "bounce_threshold": "Bounce score threshold", "bounce_temporary": "Count temporary failures",
    "bounce_stale_days": "Bounce score forgotten after (days)", "bounce_warning_days": "Days between warnings",
    "bounce_notify_owners": "Tell the owners about bounces", "send_welcome": "Send a welcome notice",
    "send_goodbye": "Send a goodbye notice", "subject_tag": "Subject tag", "reply_to": "Replies go to",
    "filter_content": "Filter content", "filter_types": "Remove these types", "pass_types": "Keep only these types",
    "filter_extensions": "Remove these file endings", "pass_extensions": "Keep only these file endings",
    "collapse_alternatives": "Keep only the first of alternatives", "convert_html_to_plaintext": "Turn HTML into plain text",
    "filter_action": "A post with nothing left is",
}  # fmt: skip
REPLY_TO_CHOICES = [("none", "leave as sent"), ("list", "the list"), ("explicit", "the address below")]


class LinesField(forms.CharField):
    """A list of strings edited one a line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> str:
        return "\n".join(value) if isinstance(value, list) else (value or "")

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [s for line in text.splitlines() if (s := line.strip())]


class SettingsForm(forms.ModelForm):
    default_renderer = PlainWidgets()  # 40 widgets: through the template engine they were most of the page
    acceptable_aliases = LinesField(required=False)
    header_filters = LinesField(required=False)
    disabled_rules = LinesField(required=False)
    filter_types = LinesField(required=False)
    pass_types = LinesField(required=False)
    filter_extensions = LinesField(required=False)
    pass_extensions = LinesField(required=False)
    moderator_password = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="approves a post in an Approved: header or first body line, and a reply to a held-post notice; "
        "leave empty to keep it, type ‘-’ to remove it",
    )  # fmt: skip

    class Meta:
        model = MailingList
        fields = FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.help_text = EXTRA_HELP.get(name) or field.help_text or ""
            field.label = LABELS.get(name, field.label)
        for name in DECORATIONS:
            self.fields[name].help_text += PLACEHOLDER_HELP
        self.fields["reply_to"].choices = REPLY_TO_CHOICES  # the model's third choice reads "reply_to_address"

    def clean_disabled_rules(self) -> list[str]:
        names = self.cleaned_data["disabled_rules"]
        unknown = [n for n in names if n not in RULE_NAMES]
        if unknown:
            raise forms.ValidationError(f"no rule named {', '.join(unknown)}; the rules are {', '.join(sorted(RULE_NAMES))}")
        return names

    def clean_footer(self) -> str:
        return _placeholders_known(self.cleaned_data["footer"])

    def clean_digest_header(self) -> str:
        return _placeholders_known(self.cleaned_data["digest_header"])

    def clean_digest_footer(self) -> str:
        return _placeholders_known(self.cleaned_data["digest_footer"])

    def clean_header_filters(self) -> list[str]:
        return [_regex(p) for p in self.cleaned_data["header_filters"]]

    def clean_acceptable_aliases(self) -> list[str]:
        return [_regex(p) if p.startswith("^") else p for p in self.cleaned_data["acceptable_aliases"]]

    def clean_bounce_threshold(self) -> float:
        threshold = float(self.cleaned_data["bounce_threshold"])
        if threshold <= 0:
            raise forms.ValidationError("a threshold above 0: at 0 the first bounce would disable a member")
        return threshold

    def clean_hold_days(self) -> int:
        days = int(self.cleaned_data["hold_days"])
        if days < 1:
            raise forms.ValidationError("at least 1 day: at 0 a held post expires as it is held, and the worker "
                                        "discards it within minutes, before a moderator sees it")  # fmt: skip
        return days

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reply_to") == "explicit" and not data.get("reply_to_address"):
            self.add_error("reply_to_address", "replies go to an explicit address: give it here")
        return data

    def groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(key, title, [self[name] for name in names]) for key, title, names in GROUPS]


def _placeholders_known(text: str) -> str:
    """`text` when every placeholder in it is one the mail fills in; else why not, in words: a
    misspelt name, or Mailman's way of writing one (which would reach every member as written)."""
    problems = []
    for match in _MAILMAN_VARIABLE.finditer(text):
        name = next(g for g in match.groups() if g)
        if name in _MAILMAN_NAMES:
            problems.append(f"{match.group(0)} is written the Mailman way: write {{{_MAILMAN_NAMES[name]}}}")
        elif match.group(0).startswith("%("):
            problems.append(f"{match.group(0)} is Mailman's and has no placeholder here")
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        problems.append(f"no placeholder {', '.join('{' + u + '}' for u in unknown)}")
    if problems:
        raise forms.ValidationError("; ".join(problems) + ". The placeholders are "
                                    + ", ".join("{" + name + "}" for name in PLACEHOLDERS) + ".")  # fmt: skip
    return text


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise forms.ValidationError(f"{pattern!r} is not a valid regular expression: {exc}") from None
    return pattern
