"""What a job function gets: its ids, the Settings, ways to report progress, and a way to submit
follow-up work (by job name, so a capability never imports the queue machinery to do it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

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

    def publish(self, event: str, tenant_id: int | None, data: dict[str, Any]) -> None: ...


@dataclass
class JobContext:
    job_id: uuid.UUID
    tenant_id: int | None
    queue: str
    attempt: int
    settings: Settings
    publish: Callable[[str, int | None, dict[str, Any]], None]
    jobs: Submitter

    def progress(self, **data: Any) -> None:
        self.publish("job.progress", self.tenant_id, {"id": str(self.job_id), **data})

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
