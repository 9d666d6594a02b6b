"""The outgoing queue: one `Outgoing` row per message the list sends (a post, a notice, a digest, a
forward to the owners) and its `DeliveryBatch` rows, the units a worker claims and hands to the MTA.

A batch's recipients are sent in order; `done` counts those handed over to the MTA or answered by it
(a 5xx recorded as a bounce, a 4xx put in `deferred`). The worker records a copy as handed over in its
journal BEFORE the final "." of the message is written (the MTA accepts a message when it reads that
dot) and commits the counters here after the MTA's answer; a worker taking over the batch of a dead one
reads its journal for the last copy (listhaven.delivery.batches.recover). RELIABILITY.md gives the
residual window.
"""

from django.db import models

from listhaven.lists.models.member import LIST_MODEL

OUTGOING_KINDS = [("post", "a post to the members"), ("notice", "a notice from the list"),
                  ("owner", "mail to the owners, forwarded"), ("digest", "a digest issue"),
                  ("forward", "mail forwarded on the list's behalf")]  # fmt: skip
BATCH_STATES = [("queued", "waiting or being sent"), ("sent", "every recipient answered"),
                ("failed", "given up (temporary failures for longer than the retry limit)")]  # fmt: skip


class Outgoing(models.Model):
    """Mail waiting to leave: one message (`template`) for `recipients`. Created inside the
    transaction that decided to send it, so a post is never acknowledged without its copies.
    `personalised`: one copy per recipient with the personalisation markers filled in; otherwise
    the template goes out as it is, many recipients per SMTP transaction. `mailing_list` is null for
    the site's own mail (sign-in links, password resets): it goes out from the site's address
    (site/public_urls.site_address), never personalised, and no list scores its bounces."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="outgoing", null=True,
                                     blank=True)  # fmt: skip
    kind = models.CharField(max_length=10, choices=OUTGOING_KINDS)
    template = models.BinaryField(help_text="the message, zstd-compressed")
    recipients = models.JSONField(default=list)
    personalised = models.BooleanField(default=True)
    message = models.ForeignKey("archive.Message", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class DeliveryBatch(models.Model):
    """Some recipients of one `Outgoing`: what one worker sends in one go.

    Claiming: `claimed_by` names the worker (``host:pid:nonce``) and `lease_until` when its claim
    lapses; a worker renews the lease while it sends. A batch whose lease lapsed, or whose worker
    process on this host is gone, may be taken by another worker, which resumes at `done`."""

    outgoing = models.ForeignKey(Outgoing, on_delete=models.CASCADE, related_name="batches")
    recipients = models.JSONField(default=list)
    done = models.PositiveIntegerField(default=0, help_text="recipients[:done] have their answer recorded")
    sent = models.PositiveIntegerField(default=0, help_text="recipients the MTA accepted (250)")
    awaiting = models.PositiveIntegerField(
        default=0, help_text="recipients counted in `done` and `sent` whose copy was handed over (its final "
                             "'.' written) but whose answer to it is not recorded yet")  # fmt: skip
    deferred = models.JSONField(default=list, blank=True,
                                help_text="recipients answered 4xx during this attempt: retried in a new batch")  # fmt: skip
    state = models.CharField(max_length=8, choices=BATCH_STATES, default="queued")
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="batch_due")]

    def __str__(self) -> str:
        return f"batch #{self.pk} of outgoing #{self.outgoing_id}: {self.done}/{len(self.recipients)} {self.state}"


class BounceEvent(models.Model):
    """A recipient the list could not deliver to: a 5xx from the MTA at send time, a retry limit
    reached, or (later) a bounce message received at -bounces. Bounce scoring reads these."""

    mailing_list = models.ForeignKey(LIST_MODEL, on_delete=models.CASCADE, related_name="bounce_events")
    address = models.CharField(max_length=320)
    source = models.CharField(max_length=12, choices=[("smtp", "refused by the MTA"),
                                                      ("expired", "temporary failures past the retry limit"),
                                                      ("dsn", "a bounce message")])  # fmt: skip
    code = models.PositiveSmallIntegerField(default=0, help_text="the SMTP reply code, 0 when none")
    text = models.TextField(blank=True)
    outgoing = models.ForeignKey(Outgoing, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    processed = models.BooleanField(default=False, help_text="counted by bounce scoring")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["mailing_list", "address"], name="bounce_address")]


class DkimKey(models.Model):
    """The signing key of one domain the lists send from (`listhaven dkim generate DOMAIN`)."""

    domain = models.CharField(max_length=253, unique=True)
    selector = models.CharField(max_length=63, default="listhaven")
    private_key = models.TextField(help_text="PEM")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"
