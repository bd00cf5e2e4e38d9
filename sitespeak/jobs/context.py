"""What a job function gets: its ids, the Settings, and ways to report progress."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sitespeak.settings import Settings


@dataclass
class JobContext:
    job_id: uuid.UUID
    tenant_id: int | None
    queue: str
    attempt: int
    settings: Settings
    publish: Callable[[str, int | None, dict[str, Any]], None]

    def progress(self, **data: Any) -> None:
        self.publish("job.progress", self.tenant_id, {"id": str(self.job_id), **data})
