"""The analytics worker's write side: a batch of validated events in one statement, each event
at most once (the client's id per event, unique per site), and the hours it touched marked for
the rollup job."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from psycopg2.extras import execute_values

from sitespeak.db.connection import database


def store_events(
    tenant_id: int, site_id: int, events: list[dict[str, Any]], at: dt.datetime
) -> int:
    """Insert the events received at ``at``; returns how many were new (a retried beacon's
    events are already there and count nothing)."""
    if not events:
        return 0
    rows = [
        (tenant_id, site_id, e["client_id"], e["session_id"], e["kind"], at, json.dumps(e["data"]))
        for e in events
    ]
    with database.atomic():
        cursor = database.cursor()
        inserted = execute_values(
            cursor,
            "INSERT INTO analytics_events "
            "(tenant_id, site_id, client_id, session_id, kind, at, data) VALUES %s "
            "ON CONFLICT (site_id, client_id) DO NOTHING RETURNING 1",
            rows,
            template="(%s, %s, %s, %s, %s, %s, %s::jsonb)",
            page_size=len(rows),
            fetch=True,
        )
        if inserted:
            mark_dirty(site_id, [at])
        record_votes(tenant_id, site_id, events)
    return len(inserted)


def record_votes(tenant_id: int, site_id: int, events: list[dict[str, Any]]) -> None:
    """Put each vote on the turn it is about, so conversations can be filtered by it. The turn
    must be of this site and tenant: a beacon carries a site key anyone can read, and must not
    reach another site's conversations by naming their session. A later vote replaces one."""
    votes = [
        (e["data"]["value"], e["data"]["voice_session"], e["data"]["turn"], tenant_id, site_id)
        for e in events
        if e["kind"] == "feedback" and e["data"].get("voice_session")
    ]
    if not votes:
        return
    execute_values(
        database.cursor(),
        "UPDATE voice_turns t SET feedback = v.value "
        "FROM (VALUES %s) AS v (value, session, seq, tenant_id, site_id) "
        "WHERE t.session_id = v.session AND t.seq = v.seq "
        "AND t.tenant_id = v.tenant_id AND t.site_id = v.site_id",
        votes,
        template="(%s, %s, %s::int, %s::bigint, %s::bigint)",
    )


def mark_dirty(site_id: int, moments: list[dt.datetime]) -> None:
    hours = sorted({m.replace(minute=0, second=0, microsecond=0) for m in moments})
    database.execute_sql(
        "INSERT INTO analytics_dirty (site_id, bucket) SELECT %s, unnest(%s::timestamptz[]) "
        "ON CONFLICT DO NOTHING",
        (site_id, hours),
    )
