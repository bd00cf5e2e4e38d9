"""Job kinds that run once per period (a day, a week, an hour), and the worker's pass over them.

Each capability declares its ``SCHEDULE`` next to its ``KINDS`` (``sitespeak/maintenance/jobs.py``,
``sitespeak/reports/jobs.py``); the entry point (``sitespeak/assembly.py``) puts them in one
``Schedules``, checked against the job registry, and the worker runs a ``SchedulePass`` over it.

Each scheduled run is a ledger job whose idempotency key names its slot (the day, the week, the
hour), so any number of workers passing the schedule at once submit it once, and the admin Jobs
page shows every run and its outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sitespeak.jobs.context import Submitter
from sitespeak.jobs.registry import JobRegistry


def hourly(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")


def daily(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%d")


def weekly(now: dt.datetime) -> str:
    return now.strftime("%G-W%V")  # the ISO week: Monday to Sunday


@dataclass(frozen=True)
class Slot:
    """When a kind runs: ``slot(now)`` names the current period; a new name means it is due."""

    kind: str
    slot: Callable[[dt.datetime], str]


class Schedules:
    """Every scheduled kind of a process. A slot whose kind the registry lacks, or a kind two
    capabilities schedule, fails here, when the worker starts, not silently at the first pass."""

    def __init__(self, slots: Iterable[Slot], registry: JobRegistry) -> None:
        self._slots: dict[str, Slot] = {}
        for slot in slots:
            if slot.kind not in registry:
                raise ValueError(f"the schedule names {slot.kind!r}, which is no job kind")
            if slot.kind in self._slots:
                raise ValueError(f"job kind {slot.kind!r} is scheduled twice")
            self._slots[slot.kind] = slot

    def __iter__(self) -> Iterator[Slot]:
        return iter(self._slots.values())


class SchedulePass:
    """A pass for the worker: submits each kind once per slot. Remembers the slots it submitted
    so that most passes touch no database at all."""

    def __init__(self, schedules: Schedules) -> None:
        self.schedules = schedules
        self.submitted: dict[str, str] = {}

    def __call__(self, jobs: Submitter, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        count = 0
        for entry in self.schedules:
            slot = entry.slot(now)
            if self.submitted.get(entry.kind) == slot:
                continue
            _, created = jobs.submit(None, entry.kind, {}, idempotency_key=f"{entry.kind}:{slot}")
            self.submitted[entry.kind] = slot
            count += created
        return count
