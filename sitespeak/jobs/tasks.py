"""The Huey side of the ledger: one thin ``run_job(job_id)`` task per queue, and ``JobQueue``,
the submitting side a process builds from its job registry.

A task takes a job id, claims the row, checks the arguments against the job's tenant, calls the
kind's function, and records the outcome; retries are scheduled by us (with the backoff stored on
the row), not by Huey, so the ledger always knows what will happen next.

When the worker stops (``stop_jobs``), a job polling ``JobContext.stop_point`` is interrupted
between units of work: its progress becomes the row's checkpoint and it is queued again, without
losing an attempt, for another worker to resume.
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from typing import Any

from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.errors import InvalidInput, JobInterrupted, NotFound, outage_from
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import ledger, queues
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobRegistry

log = logging.getLogger(__name__)


class JobQueue:
    """Submitting, enqueueing and retrying jobs of the kinds in ``registry``; job events go out
    through ``publisher``. Domain code sees it as a ``jobs.context.Submitter``."""

    def __init__(self, registry: JobRegistry, publisher: EventPublisher) -> None:
        self.registry = registry
        self.publisher = publisher

    def publish(self, event: str, tenant_id: int | None, data: dict[str, Any]) -> None:
        """The event to every web process, then the registry's reactions to it."""
        self.publisher.publish(event, tenant_id, data)
        for reaction in self.registry.reactions_to(event):
            try:
                reaction.run(self, tenant_id, data)
            except Exception:  # noqa: BLE001 - a follow-up lost to an outage must not fail the
                # job that announced; the schedules catch up (instant answers: daily)
                log.exception("reaction to %s failed", event)

    def record(
        self,
        tenant_id: int | None,
        name: str,
        args: dict[str, Any],
        *,
        queue: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]:
        """The row only: for a caller that must commit it (in its own transaction) before the
        worker may see the message; it then calls ``enqueue_new``."""
        kind = self.registry.get(name)
        return ledger.create(tenant_id, kind, args, queue=queue, idempotency_key=idempotency_key)

    def enqueue_new(self, job: Job) -> None:
        """Enqueue a row just committed, or forget it: when the queues (Redis) cannot take the
        message, the row is deleted and the outage raised (503), so a job is either acknowledged
        and on its way or not recorded at all. Kept, it would run only when the reaper found it
        ``job_lost_after`` later, and a client retrying with a new idempotency key would get it
        twice. (If PostgreSQL fails too, before the delete, the reaper still runs it once.)"""
        try:
            enqueue(job, fresh=True)
        except Exception as exc:
            outage = outage_from(exc)
            if outage is None:
                raise
            ledger.forget_unstarted(job.id)
            raise outage from exc
        self.publish("job.updated", job.tenant_id, ledger.view(job))

    def submit(
        self,
        tenant_id: int | None,
        name: str,
        args: dict[str, Any],
        *,
        queue: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]:
        job, created = self.record(
            tenant_id, name, args, queue=queue, idempotency_key=idempotency_key
        )
        if created:
            self.enqueue_new(job)
        return job, created

    def retry(self, job_id: str | uuid.UUID, tenant_id: int | None) -> Job:
        """Re-run a failed or dead job now (the admin UI's retry button)."""
        job = ledger.reopen(job_id, tenant_id)
        enqueue(job)
        self.publish("job.updated", job.tenant_id, ledger.view(job))
        return job


# Huey's tasks are module-level (its registry is filled at import time); the worker tells them
# which JobQueue runs the jobs with ``serve`` before it starts consuming.
_serving: dict[str, JobQueue] = {}
# Set once when this process's worker begins to stop; never cleared (the process exits).
_stopping = threading.Event()


def serve(jobs: JobQueue) -> None:
    _serving["jobs"] = jobs


def stop_jobs() -> None:
    """The worker is stopping: running jobs stop at their next stop point, and a message taken
    from the queue from now on goes back unclaimed."""
    _stopping.set()


def stopping() -> bool:
    return _stopping.is_set()


def _run(job_id: str) -> None:
    if "jobs" not in _serving:
        raise RuntimeError("run_job before sitespeak.jobs.tasks.serve(jobs)")
    # Huey's threads live for the whole process: give the connection back after every job.
    with database.connection_context():
        execute(job_id, _serving["jobs"])


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


def execute(job_id: str | uuid.UUID, jobs: JobQueue) -> None:
    if stopping():
        # A consumer thread blocked on the queue can still receive a message after its stop
        # flag is raised (a job just re-queued by this very stop, say): hand it back untouched.
        _hand_back(job_id)
        return
    job = ledger.claim(job_id)
    if job is None:
        return  # already done, running elsewhere, or not due yet: a duplicate message
    jobs.publish("job.updated", job.tenant_id, ledger.view(job))
    settings = queues.bound_settings()
    stop = threading.Event()
    beat = threading.Thread(
        target=_beat, args=(job, stop, settings.heartbeat_interval / 2), daemon=True
    )
    beat.start()
    try:
        kind = jobs.registry.get(job.name)
        # Checked again here, against the tenant on the row: the row is what the worker trusts,
        # whoever submitted it and however.
        args = kind.validate(job.tenant_id, job.args)
        ctx = JobContext(
            job.id,
            job.tenant_id,
            job.queue,
            job.attempts,
            settings,
            jobs.publish,
            jobs,
            resume=job.checkpoint,
            stopping=stopping,
        )
        result = kind.fn(ctx, args)
    except JobInterrupted as exc:
        stop.set()
        log.info("job %s (%s) interrupted by the stop; queued again", job.id, job.name)
        if ledger.suspend(job, exc.progress):
            enqueue(job)
    except Exception as exc:  # noqa: BLE001 - any failure of a job is recorded, never raised
        stop.set()
        log.warning("job %s (%s) attempt %s failed: %s", job.id, job.name, job.attempts, exc)
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        # Arguments that name nothing (of this tenant) will not name something on a retry.
        outcome = ledger.fail(job, error, final=isinstance(exc, InvalidInput | NotFound))
        if outcome and outcome[0] == "failed":
            enqueue(job, delay=outcome[1])
    else:
        stop.set()
        ledger.succeed(job, result)
    finally:
        beat.join()
    jobs.publish("job.updated", job.tenant_id, ledger.view(ledger.get(job.id, None)))


def _hand_back(job_id: str | uuid.UUID) -> None:
    job = ledger.get(job_id, None)
    if job.status in ("queued", "failed"):
        enqueue(job)


def _beat(job: Job, stop: threading.Event, every: float) -> None:
    # A connection only for the moment of each beat: holding one per running job for its whole
    # run doubled what the worker needed and exhausted the pool.
    while not stop.wait(every):
        try:
            with database.connection_context():
                ledger.heartbeat(job)
        except Exception:  # noqa: BLE001 - a missed beat is retried; the reaper judges
            log.exception("heartbeat for job %s failed", job.id)
