"""Schedules the worker keeps, as Huey periodic tasks: a capability gives the assembly a
``Periodic`` (a crontab and a pass), and the worker registers it on the maintenance queue's Huey
before that queue's consumer starts, whose scheduler then enqueues it when the crontab matches
(Huey checks once a minute).

Every worker consuming the maintenance queue schedules it, so a pass can run twice for one
minute: ``lock_task`` keeps two passes from overlapping (flushed when a worker starts, in case a
killed worker left it held), and a pass submits its ledger jobs with an idempotency key per slot,
so a second pass in the same slot adds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sitespeak.db.connection import database
from sitespeak.jobs import queues
from sitespeak.jobs.context import Submitter

log = logging.getLogger(__name__)
QUEUE = "maintenance"


@dataclass(frozen=True)
class Periodic:
    name: str
    when: Callable[[dt.datetime], bool]  # e.g. huey.crontab(minute="*/5")
    run: Callable[[Submitter], object]


_registered: set[str] = set()


def register(periodics: Sequence[Periodic], jobs: Submitter) -> list[str]:
    """Register the passes as periodic tasks (once per process); returns their task names."""
    huey = queues.HUEYS[QUEUE]
    names = []
    for periodic in periodics:
        name = f"periodic.{periodic.name}"
        names.append(name)
        if name in _registered:
            continue
        _registered.add(name)
        huey.periodic_task(periodic.when, name=name)(_task(periodic, jobs))
    return names


def _task(periodic: Periodic, jobs: Submitter) -> Callable[[], None]:
    lock = queues.HUEYS[QUEUE].lock_task(f"periodic.{periodic.name}")

    def run() -> None:
        with lock, database.connection_context():
            outcome = periodic.run(jobs)
        log.debug("periodic %s: %s", periodic.name, outcome)

    run.__name__ = f"periodic_{periodic.name}"
    return run
