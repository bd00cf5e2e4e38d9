"""The maintenance job kinds (maintenance queue) and the schedule that submits them.

Each scheduled run is a ledger job whose idempotency key names its slot (the day, the week, the
hour), so any number of workers passing the schedule at once submit it once, and the admin Jobs
page shows every run and its outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sitespeak.jobs.context import JobContext, Submitter
from sitespeak.jobs.registry import JobKind, RetryPolicy
from sitespeak.maintenance import retention, upkeep


class NoArgs(BaseModel, extra="forbid"):
    pass


def run_retention(ctx: JobContext, args: NoArgs) -> dict[str, Any]:
    s = ctx.settings
    return {
        "setup_links": retention.expired_setup_links(),
        "conversations": retention.old_conversations(s.retention_days),
        "events": retention.old_events(s.retention_days),
        "jobs": retention.finished_jobs(s.job_retention_days),
        "crawl_runs": retention.old_crawl_runs(s.crawl_runs_kept),
    }


def run_vacuum(ctx: JobContext, args: NoArgs) -> dict[str, Any]:
    return {"vacuumed": upkeep.vacuum_analyze()}


def run_disk_usage(ctx: JobContext, args: NoArgs) -> dict[str, Any]:
    return upkeep.disk_usage(ctx.settings.state_dir, ctx.settings.disk_warn_free_percent)


_ONCE_MORE = RetryPolicy(attempts=2, backoff_base=60.0, backoff_max=600.0)
KINDS = (
    JobKind("maintenance.retention", run_retention, NoArgs, ("maintenance",), _ONCE_MORE),
    JobKind("maintenance.vacuum", run_vacuum, NoArgs, ("maintenance",), _ONCE_MORE),
    JobKind("maintenance.disk_usage", run_disk_usage, NoArgs, ("maintenance",), _ONCE_MORE),
)


@dataclass(frozen=True)
class Slot:
    """When a kind runs: ``slot(now)`` names the current period; a new name means it is due."""

    kind: str
    slot: Callable[[dt.datetime], str]


SCHEDULE = (
    Slot("maintenance.retention", lambda now: now.strftime("%Y-%m-%d")),  # daily
    Slot("maintenance.vacuum", lambda now: now.strftime("%G-W%V")),  # weekly
    Slot("maintenance.disk_usage", lambda now: now.strftime("%Y-%m-%dT%H")),  # hourly
    Slot("analytics.weekly_reports", lambda now: now.strftime("%G-W%V")),  # weekly: last week's
)


class MaintenanceSchedule:
    """A schedule pass for the worker: submits each kind once per slot. Remembers the slots it
    submitted so that most passes touch no database at all."""

    def __init__(self, schedule: tuple[Slot, ...] = SCHEDULE) -> None:
        self.schedule = schedule
        self.submitted: dict[str, str] = {}

    def __call__(self, jobs: Submitter, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        count = 0
        for entry in self.schedule:
            slot = entry.slot(now)
            if self.submitted.get(entry.kind) == slot:
                continue
            _, created = jobs.submit(None, entry.kind, {}, idempotency_key=f"{entry.kind}:{slot}")
            self.submitted[entry.kind] = slot
            count += created
        return count
