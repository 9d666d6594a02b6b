"""Timed jobs the worker runs beside the queue, in one place: (name, interval, function).

To add one, add a `Job` to JOBS with the dotted path of a function taking no argument. Every worker
runs every job, so a job must be safe when two workers run it at once (claim its rows in the
database, as the queue does) and must do a bounded amount of work per call.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds between two runs
    function: str  # "package.module:function"

    def load(self) -> Callable[[], object]:
        module, _, name = self.function.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


JOBS: tuple[Job, ...] = (
    Job("outbox-trim", 3600, "listhaven.delivery.outbox:trim_outbox"),
    # Every 5 minutes: a daily digest leaves within 5 minutes of midnight UTC.
    Job("digests", 300, "listhaven.lists.digests:send_due_digests"),
    # Command mail the LMTP server stored but could not process at once (each row claimed once).
    Job("command-mail", 60, "listhaven.lists.command_mail:process_waiting"),
    Job("pending-purge", 3600, "listhaven.lists.subscriptions:purge_expired"),
    # Held posts past the list's hold_days are discarded (their notices said so), and a list with posts
    # waiting a day or more sends its owners and moderators the summary, at most once a day.
    Job("held-posts", 600, "listhaven.lists.moderation:held_upkeep"),
    Job("bounces", 60, "listhaven.lists.bounce_mail:process_bounces"),
    Job("bounce-upkeep", 3600, "listhaven.lists.bounce_mail:bounce_upkeep"),
    # Many members bouncing the same day: the owners are told (at most once a day per list).
    Job("bounce-spikes", 900, "listhaven.lists.bounce_spikes:alert_owners"),
    # Postfix's tables of the lists written again when they no longer match the lists (one created on
    # another host wrote that host's tables, not this one's).
    Job("postfix-maps", 60, "listhaven.lists.postfix_maps:refresh_maps"),
    # Sign-in throttle rows whose window lapsed: counted clients, accounts and (hashed) addresses go.
    Job("throttle-purge", 3600, "listhaven.web.accounts.throttle:purge_lapsed"),
)


@dataclass
class Scheduler:
    """Runs each job when its interval has passed (first run one interval after start-up)."""

    jobs: Sequence[Job] = JOBS
    clock: Callable[[], float] = time.monotonic
    due: dict[str, float] = field(default_factory=dict)

    def run_due(self) -> list[str]:
        """Runs the jobs that are due; returns their names. A failing job is logged, not fatal."""
        now = self.clock()
        ran = []
        for job in self.jobs:
            if job.name not in self.due:
                self.due[job.name] = now + job.interval
            if now < self.due[job.name]:
                continue
            self.due[job.name] = now + job.interval
            try:
                job.load()()
            except Exception:
                log.exception("timed job %s failed; it runs again in %s s", job.name, job.interval)
            ran.append(job.name)
        return ran
