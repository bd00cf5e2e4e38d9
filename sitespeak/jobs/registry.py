"""What a job is, as the platform sees it: a named function with an argument model, the queues it
may run on, its retry policy, and whether a tenant may submit it through the API.

The jobs package knows no kind of its own beyond the diagnostics: each capability declares its
kinds next to its code (``sitespeak/crawl/jobs.py``, ``sitespeak/knowledge/jobs.py``) and the
process entry points (``sitespeak/assembly.py``) put them in one ``JobRegistry``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from sitespeak.errors import InvalidInput, Unprocessable
from sitespeak.events.bus import EventType

if TYPE_CHECKING:
    from sitespeak.jobs.context import JobContext, Submitter


@dataclass(frozen=True)
class RetryPolicy:
    """How often a job is tried and how long it waits between tries. Copied onto the job row when
    it is submitted, so a retry follows the policy the job was submitted under."""

    attempts: int = 3
    backoff_base: float = 2.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 300.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_base * 2 ** max(attempt - 1, 0), self.backoff_max))


# The check a kind makes of its (parsed) arguments against the tenant the job runs for: raise
# NotFound (or another SiteSpeakError) when the arguments name something of another tenant.
TenantCheck = Callable[[int | None, Any], object]


@dataclass(frozen=True)
class JobKind:
    name: str
    fn: Callable[[JobContext, Any], dict[str, Any] | None]
    args_model: type[BaseModel]
    queues: tuple[str, ...]
    retry: RetryPolicy = RetryPolicy()
    public: bool = False  # may a tenant submit it through POST /api/v1/jobs?
    check: TenantCheck | None = None

    def parse(self, args: dict[str, Any] | BaseModel) -> BaseModel:
        if isinstance(args, self.args_model):
            return args
        try:
            return self.args_model.model_validate(args)
        except ValidationError as exc:
            raise InvalidInput(f"args for {self.name!r}: {exc}") from None

    def validate(self, tenant_id: int | None, args: dict[str, Any] | BaseModel) -> BaseModel:
        """The arguments parsed and checked against the job's tenant (needs the database)."""
        parsed = self.parse(args)
        if self.check is not None:
            self.check(tenant_id, parsed)
        return parsed

    def queue_for(self, queue: str | None) -> str:
        queue = queue or self.queues[0]
        if queue not in self.queues:
            raise InvalidInput(
                f"job {self.name!r} does not run on queue {queue!r}; it runs on "
                + ", ".join(self.queues)
            )
        return queue


@dataclass(frozen=True)
class Reaction:
    """Follow-up work a capability submits when an event is published through the job queue
    (``run(jobs, tenant_id, data)``): how one capability's news (a site's knowledge changed)
    starts another's job without either importing the other."""

    event: EventType
    run: Callable[[Submitter, int | None, dict[str, Any]], object]


class JobRegistry:
    """Every job kind a process knows, by name, and the reactions to events. Built once by the
    process's entry point."""

    def __init__(self, kinds: Iterable[JobKind] = (), reactions: Iterable[Reaction] = ()) -> None:
        self._kinds: dict[str, JobKind] = {}
        for kind in kinds:
            self.register(kind)
        self._reactions: dict[str, list[Reaction]] = {}
        for reaction in reactions:
            self._reactions.setdefault(reaction.event, []).append(reaction)

    def reactions_to(self, event: EventType) -> list[Reaction]:
        return self._reactions.get(event, [])

    def register(self, kind: JobKind) -> JobKind:
        if kind.name in self._kinds:
            raise ValueError(f"job kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind
        return kind

    def get(self, name: str) -> JobKind:
        kind = self._kinds.get(name)
        if kind is None:
            raise InvalidInput(f"unknown job name {name!r}; known: {', '.join(self.names())}")
        return kind

    def get_public(self, name: str) -> JobKind:
        """The kind a tenant asked for by name, if tenants may submit it."""
        kind = self._kinds.get(name)
        if kind is None or not kind.public:
            raise Unprocessable(
                f"{name!r} is not a job you can submit; submit one of: "
                + ", ".join(self.public_names()),
                code="unknown_job",
            )
        return kind

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def public_names(self) -> list[str]:
        return sorted(name for name, kind in self._kinds.items() if kind.public)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds
