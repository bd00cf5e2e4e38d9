"""What the analytics queue's bulk lane does once a worker holds a batch of widget events: store
it in one statement, and the rollup pass the lane then asks for. The Huey side (the message the
web process queues, the debounce of rollups) is ``sitespeak.jobs.ingest``'s; the worker's entry
point hands it these two."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitespeak.analytics import rollups, store
from sitespeak.db.connection import database


def store_batch(
    tenant_id: int, site_id: int, events: list[dict[str, Any]], at: dt.datetime
) -> None:
    with database.connection_context():
        store.store_events(tenant_id, site_id, events, at)


def rollup_pass() -> int:
    """The hours rebuilt."""
    with database.connection_context():
        return rollups.run_pass()
