"""What a job function gets: its ids, the Settings, ways to report progress, a way to submit
follow-up work (by job name, so a capability never imports the queue machinery to do it), and
a way to see that its worker is stopping.

A long job polls ``stop_point`` between units of work: when the worker stops it raises
``JobInterrupted`` with the job's progress, which the ledger keeps as the row's checkpoint; the
job is queued again and whichever worker claims it next finds the progress in ``resume``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sitespeak.errors import JobInterrupted
from sitespeak.events.bus import EventType
from sitespeak.settings import Settings

if TYPE_CHECKING:
    from sitespeak.db.models import Job


class Submitter(Protocol):
    """The submitting side of the queues, as domain code sees it (``tasks.JobQueue`` is one)."""

    def submit(
        self,
        tenant_id: int | None,
        name: str,
        args: dict[str, Any],
        *,
        queue: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]: ...

    def record(
        self,
        tenant_id: int | None,
        name: str,
        args: dict[str, Any],
        *,
        queue: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]: ...

    def enqueue_new(self, job: Job) -> None: ...

    def enqueue_committed(self, job: Job) -> bool: ...

    def publish(self, event: EventType, tenant_id: int | None, data: dict[str, Any]) -> None: ...


@dataclass
class JobContext:
    job_id: uuid.UUID
    tenant_id: int | None
    queue: str
    attempt: int
    settings: Settings
    publish: Callable[[EventType, int | None, dict[str, Any]], None]
    jobs: Submitter
    # The checkpoint an interrupted earlier run left; None on a fresh start.
    resume: dict[str, Any] | None = None
    stopping: Callable[[], bool] = field(default=lambda: False)

    def stop_point(self, progress: dict[str, Any]) -> None:
        """Between two units of work: raise JobInterrupted(progress) if the worker is stopping,
        so the job is queued again and resumes from ``progress`` instead of holding the stop."""
        if self.stopping():
            raise JobInterrupted(progress)

    def progress(self, **data: Any) -> None:
        self.publish(EventType.JOB_PROGRESS, self.tenant_id, {"id": str(self.job_id), **data})

    def submit(
        self,
        name: str,
        args: dict[str, Any],
        *,
        queue: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Follow-up work for the same tenant; with a key already used, the first job."""
        job, _ = self.jobs.submit(
            self.tenant_id, name, args, queue=queue, idempotency_key=idempotency_key
        )
        return job
