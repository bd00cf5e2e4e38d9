"""Recovers jobs a dead worker took with it: stale heartbeats and messages that never ran."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sitespeak.events.bus import EventPublisher, EventType
from sitespeak.jobs import ledger, tasks
from sitespeak.settings import Settings

log = logging.getLogger(__name__)


def reap(
    settings: Settings,
    publisher: EventPublisher,
    holder_alive: Callable[[str], bool] = lambda holder: False,
) -> int:
    """One pass; returns how many jobs it touched. Safe to run from several workers at once:
    every transition is guarded by the claim token or the job's status.

    A stale heartbeat alone does not mean a lost worker: after a PostgreSQL outage longer than
    ``job_stale_after`` every running job looks stale, and one that finished during it waits to
    record its outcome. A job whose holder's lease is still alive (``holder_alive``) is left to
    that worker; taking it would run it twice."""
    touched = 0
    for job in ledger.stale_running(settings.job_stale_after):
        if holder_alive(ledger.holder_of(job)):
            log.info("job %s: heartbeat stale but its worker is alive; left to it", job.id)
            continue
        outcome = ledger.fail(job, f"worker lost: no heartbeat for {settings.job_stale_after:g}s")
        if outcome is None:
            continue
        touched += 1
        log.warning("job %s lost its worker; now %s", job.id, outcome[0])
        if outcome[0] == "failed":
            tasks.enqueue(job, delay=outcome[1])
        publisher.publish(
            EventType.JOB_UPDATED, job.tenant_id, ledger.view(ledger.get(job.id, None))
        )
    for job in ledger.lost_waiting(settings.job_lost_after):
        touched += 1
        log.warning("job %s waited past its schedule; enqueueing it again", job.id)
        tasks.enqueue(job)
    return touched
