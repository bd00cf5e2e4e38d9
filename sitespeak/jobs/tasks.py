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
import os
import secrets
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.errors import InvalidInput, JobInterrupted, NotFound, outage_from
from sitespeak.events.bus import EventPublisher, EventType
from sitespeak.jobs import ledger, queues
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobRegistry

log = logging.getLogger(__name__)
T = TypeVar("T")
# This process as the holder of the jobs it claims: the reaper leaves a stale job alone while its
# holder's lease (renewed by the worker's supervision loop) is alive.
HOLDER = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class JobQueue:
    """Submitting, enqueueing and retrying jobs of the kinds in ``registry``; job events go out
    through ``publisher``. Domain code sees it as a ``jobs.context.Submitter``."""

    def __init__(self, registry: JobRegistry, publisher: EventPublisher) -> None:
        self.registry = registry
        self.publisher = publisher

    def publish(self, event: EventType, tenant_id: int | None, data: dict[str, Any]) -> None:
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
        self.publish(EventType.JOB_UPDATED, job.tenant_id, ledger.view(job))

    def enqueue_committed(self, job: Job) -> bool:
        """Enqueue a row committed together with work that stands (a switch it follows up):
        when the queues cannot take the message, the row stays and the reaper enqueues it
        ``job_lost_after`` later. False when it was left to the reaper."""
        try:
            enqueue(job, fresh=True)
        except Exception as exc:
            if outage_from(exc) is None:
                raise
            log.warning("job %s (%s) left for the reaper: %s", job.id, job.name, exc)
            return False
        self.publish(EventType.JOB_UPDATED, job.tenant_id, ledger.view(job))
        return True

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
        self.publish(EventType.JOB_UPDATED, job.tenant_id, ledger.view(job))
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
    # Huey's threads live for the whole process, so each step takes a connection and gives it
    # back: one the server dropped while the job ran is not the one its outcome is recorded on.
    with database.connection_context():
        job = _claim(job_id, jobs)
    if job is not None:
        _run_claimed(job, jobs)


def _claim(job_id: str | uuid.UUID, jobs: JobQueue) -> Job | None:
    if stopping():
        # A consumer thread blocked on the queue can still receive a message after its stop
        # flag is raised (a job just re-queued by this very stop, say): hand it back untouched.
        _hand_back(job_id)
        return None
    job = ledger.claim(job_id, HOLDER)
    if job is None:
        return None  # already done, running elsewhere, or not due yet: a duplicate message
    jobs.publish(EventType.JOB_UPDATED, job.tenant_id, ledger.view(job))
    return job


def _run_claimed(job: Job, jobs: JobQueue) -> None:
    settings = queues.bound_settings()
    stop = threading.Event()
    beat = threading.Thread(
        target=_beat, args=(job, stop, settings.heartbeat_interval / 2), daemon=True
    )
    beat.start()
    again: float | None = None  # when set: enqueue the job again after this many seconds
    try:
        kind = jobs.registry.get(job.name)
        with database.connection_context():
            # Checked again here, against the tenant on the row: the row is what the worker
            # trusts, whoever submitted it and however.
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
    # The heartbeat goes on until the outcome is recorded: a job whose outcome waits for the
    # database to come back is still held, not lost (see _recorded).
    except JobInterrupted as interrupted:
        log.info("job %s (%s) interrupted by the stop; queued again", job.id, job.name)
        progress = interrupted.progress
        if _recorded(job, lambda: ledger.suspend(job, progress)):
            again = 0.0
    except Exception as exc:  # noqa: BLE001 - any failure of a job is recorded, never raised
        log.warning("job %s (%s) attempt %s failed: %s", job.id, job.name, job.attempts, exc)
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        # Arguments that name nothing (of this tenant) will not name something on a retry.
        final = isinstance(exc, InvalidInput | NotFound)
        outcome = _recorded(job, lambda: ledger.fail(job, error, final=final))
        if outcome and outcome[0] == "failed":
            again = outcome[1]
    else:
        _recorded(job, lambda: ledger.succeed(job, result))
    finally:
        stop.set()
        beat.join()
    with database.connection_context():
        if again is not None:
            enqueue(job, delay=again)
        jobs.publish(EventType.JOB_UPDATED, job.tenant_id, ledger.view(ledger.get(job.id, None)))


def _recorded(job: Job, record: Callable[[], T]) -> T:
    """``record()``, tried again until the database takes it. A job that ran to its end while
    PostgreSQL was down used to stay ``running`` with no heartbeat, so the reaper ran it a second
    time; now its worker keeps the claim (heartbeat and lease) and records the outcome once the
    database is back. The ledger's recording is idempotent under one claim, so a commit whose
    answer was lost is simply recorded again."""
    wait, grace = 0.2, queues.bound_settings().shutdown_grace
    stopped_at: float | None = None
    while True:
        try:
            with database.connection_context():
                return record()
        except Exception as exc:
            if outage_from(exc) is None:
                raise
            if stopping():
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > grace:
                    # The worker must exit some time: the reaper runs the job again once this
                    # process's lease has expired (at least once, as ever).
                    log.error("job %s: outcome lost to the database outage at stop", job.id)
                    raise
            log.warning("job %s: outcome not recorded yet (%s); trying again", job.id, exc)
            time.sleep(wait)
            wait = min(wait * 2, 2.0)


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
