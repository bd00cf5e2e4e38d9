"""The Huey side of the ledger: one thin ``run_job(job_id)`` task per queue, and ``submit``.

A task takes a job id, claims the row, calls the kind's domain function, and records the
outcome; retries are scheduled by us (with the kind's backoff), not by Huey, so the ledger
always knows what will happen next.
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from typing import Any

import redis

from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import ledger, queues
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.kinds import KINDS
from sitespeak.settings import Settings

log = logging.getLogger(__name__)


def _run(job_id: str) -> None:
    runtime = queues.bound_settings()
    # Huey's threads live for the whole process: give the connection back after every job.
    with database.connection_context():
        execute(job_id, _publisher_for(runtime))


_publishers: dict[str, EventPublisher] = {}


def _publisher_for(settings: Settings) -> EventPublisher:
    key = settings.redis_url + settings.redis_prefix
    if key not in _publishers:
        _publishers[key] = EventPublisher(
            redis.Redis.from_url(settings.redis_url), settings.redis_prefix
        )
    return _publishers[key]


RUN_JOB = {name: huey.task(name="run_job")(_run) for name, huey in queues.HUEYS.items()}


def enqueue(job: Job, delay: float = 0.0, *, fresh: bool = False) -> None:
    task = RUN_JOB[job.queue]
    priority = queues.PRIORITY[job.queue]
    if delay > 0:
        task.schedule(args=(str(job.id),), delay=delay, priority=priority)
    else:
        queues.HUEYS[job.queue].enqueue(task.s(str(job.id), priority=priority))
    if not fresh:  # a new row's enqueued_at is already its insert time
        ledger.mark_enqueued(job.id)


def submit(
    publisher: EventPublisher,
    tenant_id: int | None,
    name: str,
    args: dict[str, Any],
    *,
    queue: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Job, bool]:
    job, created = ledger.create(
        tenant_id, name, args, queue=queue, idempotency_key=idempotency_key
    )
    if created:
        enqueue(job, fresh=True)
        publisher.publish("job.updated", tenant_id, ledger.view(job))
    return job, created


def retry(publisher: EventPublisher, job_id: str | uuid.UUID, tenant_id: int | None) -> Job:
    """Re-run a failed or dead job now (the admin UI's retry button)."""
    job = ledger.reopen(job_id, tenant_id)
    enqueue(job)
    publisher.publish("job.updated", job.tenant_id, ledger.view(job))
    return job


def execute(job_id: str | uuid.UUID, publisher: EventPublisher) -> None:
    job = ledger.claim(job_id)
    if job is None:
        return  # already done, running elsewhere, or not due yet: a duplicate message
    publisher.publish("job.updated", job.tenant_id, ledger.view(job))
    settings = queues.bound_settings()
    stop = threading.Event()
    beat = threading.Thread(
        target=_beat, args=(job, stop, settings.heartbeat_interval / 2), daemon=True
    )
    beat.start()
    try:
        kind = KINDS[job.name]
        ctx = JobContext(
            job.id, job.tenant_id, job.queue, job.attempts, settings, publisher.publish
        )
        result = kind.fn(ctx, kind.args_model.model_validate(job.args))
    except Exception as exc:  # noqa: BLE001 - any failure of a job is recorded, never raised
        stop.set()
        log.warning("job %s (%s) attempt %s failed: %s", job.id, job.name, job.attempts, exc)
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        outcome = ledger.fail(job, error)
        if outcome and outcome[0] == "failed":
            enqueue(job, delay=outcome[1])
    else:
        stop.set()
        ledger.succeed(job, result)
    finally:
        beat.join()
    publisher.publish("job.updated", job.tenant_id, ledger.view(ledger.get(job.id, None)))


def _beat(job: Job, stop: threading.Event, every: float) -> None:
    # A connection only for the moment of each beat: holding one per running job for its whole
    # run doubled what the worker needed and exhausted the pool.
    while not stop.wait(every):
        try:
            with database.connection_context():
                ledger.heartbeat(job)
        except Exception:  # noqa: BLE001 - a missed beat is retried; the reaper judges
            log.exception("heartbeat for job %s failed", job.id)
