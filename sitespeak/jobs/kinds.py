"""Every kind of job, in one table: its function, argument model, queues and retry policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sitespeak.jobs import diagnostics
from sitespeak.knowledge import jobs as knowledge_jobs
from sitespeak.settings import QUEUES


@dataclass(frozen=True)
class JobKind:
    name: str
    fn: Callable[..., dict[str, Any] | None]
    args_model: type[BaseModel]
    queues: tuple[str, ...]
    max_attempts: int = 3
    backoff_base: float = 2.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 300.0

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_base * 2 ** max(attempt - 1, 0), self.backoff_max)


KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind("echo", diagnostics.echo, diagnostics.EchoArgs, QUEUES),
        JobKind("sleep", diagnostics.sleep, diagnostics.SleepArgs, QUEUES),
        JobKind("fail", diagnostics.fail, diagnostics.FailArgs, QUEUES, backoff_base=0.5),
        JobKind("crawl.site", knowledge_jobs.crawl_site, knowledge_jobs.SiteArgs, ("crawler",)),
        JobKind("knowledge.embed", knowledge_jobs.embed_site, knowledge_jobs.SiteArgs, ("ai",)),
    )
}
