"""Raw-event retention: events older than the retention period are deleted, after the rollup
pass has folded every pending bucket, so the rollups (kept for good) lose nothing. Idempotent,
and safe on two workers at once (the rollup pass takes its buckets SKIP LOCKED; the delete of
an already deleted row is a no-op)."""

from __future__ import annotations

import datetime as dt

from sitespeak.analytics import rollups
from sitespeak.db.connection import database


def prune_events(days: int, now: dt.datetime | None = None) -> int:
    """Delete raw events received before ``now - days``; returns how many went."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    rollups.run_pass()
    cursor = database.execute_sql("DELETE FROM analytics_events WHERE at < %s", (cutoff,))
    return cursor.rowcount
