"""The job ledger: one row per submitted job, the record Huey itself does not keep.

Huey delivers at most once and has no dead-letter queue, so the row is the truth: a job is
claimed atomically (a duplicate or late message finds nothing to claim), a running job keeps a
heartbeat, and only the holder of the current claim token can record its outcome.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Iterable
from typing import Any, cast

from peewee import SQL, fn
from pydantic import BaseModel

from sitespeak.db.connection import database
from sitespeak.db.models import Job, utcnow
from sitespeak.errors import Conflict, NotFound
from sitespeak.jobs.registry import JobKind, RetryPolicy

OPEN = ("queued", "running", "failed")
_FIELD_BY_COLUMN = {"tenant_id": "tenant"}


def create(
    tenant_id: int | None,
    kind: JobKind,
    args: dict[str, Any] | BaseModel,
    *,
    queue: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Job, bool]:
    """Insert the job row; with a key already used by this tenant, return (first job, False).
    The arguments are parsed here; checking them against the tenant is the caller's part
    (``JobKind.validate``), done where the caller is known."""
    queue = kind.queue_for(queue)
    clean = kind.parse(args).model_dump(mode="json")
    policy = kind.retry
    with database.atomic():
        cursor = database.execute_sql(
            "INSERT INTO jobs (id, tenant_id, queue, name, args, max_attempts, backoff_base, "
            "backoff_max, idempotency_key) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s) "
            "ON CONFLICT (COALESCE(tenant_id, 0), idempotency_key) "
            "WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING *",
            (
                str(uuid.uuid4()),
                tenant_id,
                queue,
                kind.name,
                json.dumps(clean),
                policy.attempts,
                policy.backoff_base,
                policy.backoff_max,
                idempotency_key,
            ),
        )
        row = cursor.fetchone()
        columns = [col[0] for col in cursor.description]
    if row:
        # Built from RETURNING: one round trip per submission, not two.
        fields = {_FIELD_BY_COLUMN.get(c, c): v for c, v in zip(columns, row, strict=True)}
        return Job(**fields), True
    existing = Job.get(
        (fn.COALESCE(Job.tenant, 0) == (tenant_id or 0)) & (Job.idempotency_key == idempotency_key)
    )
    return existing, False


def get(job_id: str | uuid.UUID, tenant_id: int | None) -> Job:
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound(f"no job {job_id}") from None
    query = Job.select().where(Job.id == key)
    if tenant_id is not None:
        query = query.where(Job.tenant == tenant_id)
    job = query.get_or_none()
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def forget_unstarted(job_id: uuid.UUID) -> None:
    """Delete a job that never ran (its message could not be enqueued)."""
    Job.delete().where(Job.id == job_id, Job.status == "queued", Job.attempts == 0).execute()


def mark_enqueued(job_id: uuid.UUID) -> None:
    Job.update(enqueued_at=utcnow()).where(Job.id == job_id).execute()


def claim(job_id: str | uuid.UUID, holder: str = "") -> Job | None:
    """Take the job for the worker ``holder``: returns it running with a fresh claim token that
    names the holder (``holder_of``), or None."""
    now = utcnow()
    rows = list(
        Job.update(
            status="running",
            attempts=Job.attempts + 1,
            claim_token=f"{holder}.{secrets.token_hex(8)}" if holder else secrets.token_hex(8),
            heartbeat_at=now,
            started_at=now,
            updated_at=now,
        )
        .where(Job.id == job_id, Job.status.in_(("queued", "failed")), Job.run_after <= now)
        .returning(Job)
        .execute()
    )
    return rows[0] if rows else None


def holder_of(job: Job) -> str:
    """The worker that holds a running job's claim ("" for a token of an older release)."""
    token = job.claim_token or ""
    return token.rpartition(".")[0]


def heartbeat(job: Job) -> bool:
    return bool(
        Job.update(heartbeat_at=utcnow())
        .where(Job.id == job.id, Job.claim_token == job.claim_token, Job.status == "running")
        .execute()
    )


def succeed(job: Job, result: dict[str, Any] | None) -> bool:
    """Record the result under the job's claim. Idempotent: when the database died after it
    committed but before it answered, recording again under the same claim still counts as
    recorded (True), so the worker's retry never mistakes its own success for a lost claim."""
    now = utcnow()
    return bool(
        Job.update(
            status="succeeded",
            result=result,
            checkpoint=None,
            finished_at=now,
            updated_at=now,
            last_error=None,
        )
        .where(
            Job.id == job.id,
            Job.claim_token == job.claim_token,
            Job.status.in_(("running", "succeeded")),
        )
        .execute()
    )


def suspend(job: Job, checkpoint: dict[str, Any]) -> bool:
    """Queue a job interrupted by its worker's stop again, keeping where it got to; the run does
    not count as an attempt (nothing failed). False if the claim was lost meanwhile."""
    now = utcnow()
    return bool(
        Job.update(
            status="queued",
            attempts=Job.attempts - 1,
            checkpoint=checkpoint,
            claim_token=None,
            run_after=now,
            updated_at=now,
        )
        .where(Job.id == job.id, Job.claim_token == job.claim_token, Job.status == "running")
        .execute()
    )


def policy_of(job: Job) -> RetryPolicy:
    return RetryPolicy(job.max_attempts, job.backoff_base, job.backoff_max)


def fail(
    job: Job, error: str, *, claim_token: str | None = None, final: bool = False
) -> tuple[str, float] | None:
    """Record a failed attempt under the row's own retry policy; ``final`` for a failure no retry
    can mend (arguments naming what is not there). Returns (new status, retry delay) or None if
    the claim was lost. Idempotent under the same claim, like ``succeed`` (a job claimed again
    has a new token, so an old claim never touches the new attempt)."""
    delay = policy_of(job).delay(job.attempts)
    now = utcnow()
    last = final or job.attempts >= job.max_attempts
    status = "dead" if last else "failed"
    updated = (
        Job.update(
            status=status,
            last_error=error[:4000],
            updated_at=now,
            finished_at=now if last else None,
            run_after=now + dt.timedelta(seconds=delay),
        )
        .where(
            Job.id == job.id,
            Job.claim_token == (claim_token or job.claim_token),
            Job.status.in_(("running", status)),
        )
        .execute()
    )
    return (status, delay) if updated else None


def stale_running(stale_after: float) -> list[Job]:
    cutoff = utcnow() - dt.timedelta(seconds=stale_after)
    return list(Job.select().where(Job.status == "running", Job.heartbeat_at < cutoff))


def lost_waiting(lost_after: float) -> list[Job]:
    """Jobs waiting far past their schedule: a dead worker likely took their message."""
    cutoff = utcnow() - dt.timedelta(seconds=lost_after)
    return list(
        Job.select().where(
            Job.status.in_(("queued", "failed")), Job.enqueued_at < cutoff, Job.run_after < cutoff
        )
    )


def failures(tenant_id: int | None, *, instance_too: bool = False, limit: int = 50) -> list[Job]:
    """Failed (retrying) and dead jobs of a tenant, newest first; optionally instance jobs too."""
    scope = Job.tenant == tenant_id
    if instance_too:
        scope = scope | Job.tenant.is_null()
    return list(
        Job.select()
        .where(Job.status.in_(("failed", "dead")), scope)
        .order_by(Job.updated_at.desc())
        .limit(limit)
    )


STATUSES = ("queued", "running", "succeeded", "failed", "dead")


def recent(
    tenant_id: int | None,
    *,
    instance_too: bool = False,
    status: str = "",
    queue: str = "",
    limit: int = 100,
) -> list[Job]:
    """A tenant's jobs of every state (or one), newest first; optionally instance jobs too."""
    scope = Job.tenant == tenant_id
    if instance_too:
        scope = scope | Job.tenant.is_null()
    query = Job.select().where(scope)
    if status:
        query = query.where(Job.status == status)
    if queue:
        query = query.where(Job.queue == queue)
    return list(query.order_by(Job.created_at.desc()).limit(limit))


def reopen(job_id: str | uuid.UUID, tenant_id: int | None) -> Job:
    """Put a failed or dead job back in the queue with a fresh attempt budget."""
    job = get(job_id, tenant_id)
    now = utcnow()
    rows = list(
        Job.update(
            status="queued",
            attempts=0,
            run_after=now,
            finished_at=None,
            claim_token=None,
            updated_at=now,
        )
        .where(Job.id == job.id, Job.status.in_(("failed", "dead")))
        .returning(Job)
        .execute()
    )
    if not rows:
        raise Conflict(f"job {job.id} is {job.status}; only failed or dead jobs can be retried")
    reopened: Job = rows[0]
    return reopened


def counts_by_status() -> dict[str, int]:
    rows = Job.select(Job.status, fn.COUNT(SQL("*"))).group_by(Job.status).tuples()
    return {str(status): int(count) for status, count in cast(Iterable[tuple[str, int]], rows)}


def view(job: Job) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "queue": job.queue,
        "name": job.name,
        "args": job.args,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "result": job.result,
        "error": job.last_error,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "heartbeat_at": _iso(job.heartbeat_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
