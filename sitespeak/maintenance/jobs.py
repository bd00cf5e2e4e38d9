"""The maintenance job kinds (maintenance queue) and when each runs (its ``SCHEDULE``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobKind, RetryPolicy
from sitespeak.jobs.schedules import Slot, daily, hourly, weekly
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
        "chunks": retention.unheld_chunks(),
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


SCHEDULE = (
    Slot("maintenance.retention", daily),
    Slot("maintenance.vacuum", weekly),
    Slot("maintenance.disk_usage", hourly),
)
