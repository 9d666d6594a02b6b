"""A list's moderation and posting settings: abstract field groups that `MailingList` inherits.

Every field a rule or a pipeline handler reads is declared here, with its meaning, so one file
answers "what can a list owner tune?". The rules name the fields they read (lists/rules.py).
"""

from __future__ import annotations

from django.db import models

ACTIONS = [("accept", "accept"), ("hold", "hold"), ("reject", "reject"), ("discard", "discard")]
MODERATED_ACTIONS = ACTIONS[1:]
# For a post content filtering leaves nothing of: the moderated actions, and Mailman's forward (the
# post goes whole to the owners) and preserve (kept whole in the quarantine for the site admin).
FILTER_ACTIONS = [*MODERATED_ACTIONS, ("forward", "forward to the owners"), ("preserve", "keep in the quarantine")]


class ModerationSettings(models.Model):
    """What the chain reads (lists/chain.py)."""

    emergency = models.BooleanField(default=False, help_text="hold every post (rule: emergency)")
    moderator_password = models.CharField(
        max_length=128, blank=True,
        help_text="hash (django.contrib.auth.hashers) of the password that approves a post in an "
        "Approved: header or first body line; empty: no password approves (rule: approved)",
    )  # fmt: skip
    disabled_rules = models.JSONField(default=list, blank=True, help_text="names of the rules this list skips")
    member_moderation_action = models.CharField(
        max_length=10, choices=MODERATED_ACTIONS, default="hold", help_text="for posts of moderated members"
    )
    nonmember_action = models.CharField(
        max_length=10, choices=ACTIONS, default="hold",
        help_text="for posts of non-members without an action of their own (rule: nonmember)",
    )  # fmt: skip
    max_message_kb = models.PositiveIntegerField(default=40, help_text="hold larger posts; 0: no limit")
    max_recipients = models.PositiveIntegerField(default=10, help_text="hold posts with this many To/Cc; 0: no limit")
    acceptable_aliases = models.JSONField(
        default=list, blank=True, help_text="other addresses (or ^regex) that count as the list in To/Cc"
    )
    header_filters = models.JSONField(
        default=list, blank=True, help_text="regexes over 'Name: value' header lines that hold a post"
    )
    hold_days = models.PositiveIntegerField(default=14, help_text="held posts expire after this many days")
    held_summary_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="when the owners and moderators were last sent the summary of held posts"
    )

    class Meta:
        abstract = True


class PostingSettings(models.Model):
    """What the pipeline reads (lists/pipeline.py)."""

    reply_to = models.CharField(
        max_length=10, choices=[("none", "leave as sent"), ("list", "the list"), ("explicit", "reply_to_address")],
        default="none",
    )  # fmt: skip
    reply_to_address = models.EmailField(max_length=254, blank=True)
    dmarc_mitigation = models.CharField(
        max_length=10, choices=[("off", "off"), ("munge", "munge From"), ("wrap", "wrap as message/rfc822")],
        default="munge",
    )  # fmt: skip
    dmarc_always = models.BooleanField(
        default=False, help_text="mitigate every post, not only those whose sender's domain publishes "
        "p=quarantine or p=reject",
    )  # fmt: skip
    personalised = models.BooleanField(
        default=True, help_text="one copy per member (VERP, own unsubscribe link); off: bulk copies"
    )
    footer = models.TextField(
        blank=True, help_text="appended to each copy; empty: the default footer (listinfo link)"
    )
    # Content filtering (listhaven.mail.content_filter; Mailman's filter_content and its lists).
    filter_content = models.BooleanField(
        default=False, help_text="remove the parts of posts the lists below name, before archiving and sending"
    )
    filter_types = models.JSONField(
        default=list, blank=True, help_text="MIME types removed (image/png, or a main type: image)"
    )
    pass_types = models.JSONField(
        default=list, blank=True, help_text="when not empty, only parts of these MIME types are kept"
    )
    filter_extensions = models.JSONField(
        default=list, blank=True, help_text="attachments whose file name ends in one of these are removed (exe)"
    )
    pass_extensions = models.JSONField(
        default=list, blank=True, help_text="when not empty, only attachments with these file name endings are kept"
    )
    collapse_alternatives = models.BooleanField(
        default=True, help_text="a multipart/alternative is replaced by its first part (usually the plain text)"
    )
    convert_html_to_plaintext = models.BooleanField(
        default=False, help_text="HTML parts become plain text"
    )
    filter_action = models.CharField(
        max_length=10, choices=FILTER_ACTIONS, default="discard",
        help_text="for a post of which filtering leaves nothing (rule: content-filter); forward: whole to the "
                  "owners, preserve: whole in the quarantine, both not sent",
    )  # fmt: skip

    class Meta:
        abstract = True


DIGEST_FREQUENCIES = [("daily", "daily"), ("weekly", "weekly (ISO weeks)"), ("monthly", "monthly"),
                      ("size", "only when the size threshold is passed")]  # fmt: skip
VOLUME_FREQUENCIES = [("yearly", "a new volume each year"), ("monthly", "a new volume each month"),
                      ("never", "one volume for ever")]  # fmt: skip


class DigestSettings(models.Model):
    """What the digests read (lists/digests.py), and where the list's digest numbering stands."""

    digest_size_kb = models.PositiveIntegerField(
        default=30, help_text="send an issue as soon as the posts collected pass this size; 0: no size limit"
    )
    digest_frequency = models.CharField(
        max_length=8, choices=DIGEST_FREQUENCIES, default="daily",
        help_text="send what was collected once the period (UTC) it began in is over",
    )  # fmt: skip
    digest_volume_frequency = models.CharField(max_length=8, choices=VOLUME_FREQUENCIES, default="monthly")
    digest_header = models.TextField(blank=True, help_text="text after the digest's masthead (footer placeholders)")
    digest_footer = models.TextField(blank=True, help_text="the digest's footer; empty: the default footer")
    digest_volume = models.PositiveIntegerField(default=1, help_text="volume of the next issue")
    digest_issue = models.PositiveIntegerField(default=1, help_text="number of the next issue in its volume")
    digest_last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


POLICIES = [("open", "open"), ("confirm", "confirm by mail"), ("moderate", "an owner approves"),
            ("confirm_moderate", "confirm by mail, then an owner approves")]  # fmt: skip
ROSTER_VISIBILITY = [("owners", "owners only"), ("members", "members"), ("public", "anyone")]


class MembershipSettings(models.Model):
    """What the subscription service reads (lists/subscriptions.py) and the notices it sends."""

    subscribe_policy = models.CharField(max_length=16, choices=POLICIES, default="confirm")
    unsubscribe_policy = models.CharField(
        max_length=16, choices=POLICIES, default="confirm",
        help_text="for requests by mail or the web form; one-click unsubscribe links always act at once",
    )  # fmt: skip
    send_welcome = models.BooleanField(default=True, help_text="a welcome notice to each new member")
    send_goodbye = models.BooleanField(default=True, help_text="a short 'you have left' notice to each leaving member")
    roster_visibility = models.CharField(
        max_length=10, choices=ROSTER_VISIBILITY, default="owners", help_text="who may ask for the roster (`who`)"
    )
    max_commands = models.PositiveIntegerField(default=10, help_text="commands read from one mail to -request")
    notice_templates = models.JSONField(
        default=dict, blank=True,
        help_text="per-list notice texts: {name: {'subject': ..., 'body': ...}} over the site defaults "
        "(lists/notices.py NOTICES); placeholders like {list_name}, {confirm_url}",
    )  # fmt: skip

    class Meta:
        abstract = True


class BounceSettings(models.Model):
    """What bounce scoring reads (lists/bounces.py): Mailman's scores and steps."""

    bounce_threshold = models.FloatField(default=5.0, help_text="a member's delivery is disabled at this score")
    bounce_temporary = models.BooleanField(
        default=True, help_text="temporary failures score +0.5 (permanent ones +1); off: they are ignored"
    )
    bounce_stale_days = models.PositiveIntegerField(default=7, help_text="a score is forgotten after this many days without bounces")
    bounce_warnings = models.PositiveIntegerField(default=3, help_text="warnings to a disabled member before removal")
    bounce_warning_days = models.PositiveIntegerField(default=7, help_text="days between two warnings, and before removal")
    bounce_spike_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="when the owners were last told of a bounce spike (lists/bounce_spikes.py)"
    )
    bounce_notify_owners = models.BooleanField(
        default=True, help_text="tell the owners when bounces disable or remove a member, or a complaint unsubscribes one"
    )

    class Meta:
        abstract = True
