"""Rollups per site per hour and per day, recomputed from the raw rows of their bucket.

A bucket is recomputed whole (never incremented), so running a rollup twice, or on two workers
at once, gives the same row; percentiles and top lists stay exact. What needs recomputing is in
``analytics_dirty``: the ingest marks the hours its events fell in, and each pass also marks
the hours of recent voice turns (the server's record of questions, answers and latency).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sitespeak.db.connection import database

TOP = 20  # entries kept per bucket in the top lists
GRAINS = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1)}
NORMALISED = "lower(btrim(regexp_replace(transcript, '\\s+', ' ', 'g'), ' ?!.'))"
COUNTS = (
    "sessions",
    "panel_opens",
    "mic_starts",
    "questions",
    "questions_spoken",
    "questions_typed",
    "answers_played",
    "turns",
    "answered",
    "declined",
    "thumbs_up",
    "thumbs_down",
    "citations_clicked",
    "actions_performed",
    "actions_refused",
    "sessions_ended",
)
LATENCIES = ("feedback_p50", "feedback_p95", "audio_p50", "audio_p95")
LISTS = ("top_questions", "gaps", "top_pages")

_EVENTS_SQL = """
SELECT count(DISTINCT session_id),
       count(*) FILTER (WHERE kind = 'panel.opened'),
       count(*) FILTER (WHERE kind = 'mic.started'),
       count(*) FILTER (WHERE kind = 'question.asked'),
       count(*) FILTER (WHERE kind = 'question.asked' AND data->>'mode' = 'spoken'),
       count(*) FILTER (WHERE kind = 'question.asked' AND data->>'mode' = 'typed'),
       count(*) FILTER (WHERE kind = 'answer.played'),
       count(*) FILTER (WHERE kind = 'feedback' AND data->>'value' = 'up'),
       count(*) FILTER (WHERE kind = 'feedback' AND data->>'value' = 'down'),
       count(*) FILTER (WHERE kind = 'citation.clicked'),
       count(*) FILTER (WHERE kind = 'action.performed'),
       count(*) FILTER (WHERE kind = 'action.refused'),
       count(*) FILTER (WHERE kind = 'session.ended')
FROM analytics_events WHERE site_id = %s AND at >= %s AND at < %s
"""
_TURNS_SQL = """
SELECT count(*), count(*) FILTER (WHERE covered), count(*) FILTER (WHERE NOT covered),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (timings->>'eos_to_started_ms')::float),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY (timings->>'eos_to_started_ms')::float),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (timings->>'eos_to_first_audio_ms')::float),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY (timings->>'eos_to_first_audio_ms')::float)
FROM voice_turns WHERE tenant_id = %s AND site_id = %s AND created_at >= %s AND created_at < %s
"""
_TOP_SQL = f"""
SELECT {NORMALISED} AS q, count(*) FROM voice_turns
WHERE tenant_id = %s AND site_id = %s AND created_at >= %s AND created_at < %s
  AND transcript <> '' {{extra}}
GROUP BY 1 HAVING {NORMALISED} <> '' ORDER BY 2 DESC, 1 LIMIT {TOP}
"""
_PAGES_SQL = f"""
SELECT data->>'page', count(*) FROM analytics_events
WHERE site_id = %s AND at >= %s AND at < %s AND kind = 'question.asked' AND data->>'page' <> ''
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}
"""


def bucket_start(moment: dt.datetime, grain: str) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    start = moment.replace(minute=0, second=0, microsecond=0)
    return start.replace(hour=0) if grain == "day" else start


def recompute(tenant_id: int, site_id: int, grain: str, start: dt.datetime) -> dict[str, Any]:
    """Rebuild one bucket's rollup row from the raw rows; returns the row's values."""
    end = start + GRAINS[grain]
    window = (start, end)
    events = database.execute_sql(_EVENTS_SQL, (site_id, *window)).fetchone()
    turns = database.execute_sql(_TURNS_SQL, (tenant_id, site_id, *window)).fetchone()
    scope = (tenant_id, site_id, *window)
    top = database.execute_sql(_TOP_SQL.format(extra=""), scope).fetchall()
    gaps = database.execute_sql(_TOP_SQL.format(extra="AND NOT covered"), scope).fetchall()
    pages = database.execute_sql(_PAGES_SQL, (site_id, *window)).fetchall()
    (sessions, opens, mics, asked, spoken, typed, played, up, down, cites, done, refused, ended) = (
        events
    )
    values: dict[str, Any] = {
        "sessions": sessions,
        "panel_opens": opens,
        "mic_starts": mics,
        "questions": asked,
        "questions_spoken": spoken,
        "questions_typed": typed,
        "answers_played": played,
        "turns": turns[0],
        "answered": turns[1],
        "declined": turns[2],
        "thumbs_up": up,
        "thumbs_down": down,
        "citations_clicked": cites,
        "actions_performed": done,
        "actions_refused": refused,
        "sessions_ended": ended,
        "feedback_p50": _ms(turns[3]),
        "feedback_p95": _ms(turns[4]),
        "audio_p50": _ms(turns[5]),
        "audio_p95": _ms(turns[6]),
        "top_questions": [[q, int(n)] for q, n in top],
        "gaps": [[q, int(n)] for q, n in gaps],
        "top_pages": [[p, int(n)] for p, n in pages],
    }
    _upsert(tenant_id, site_id, grain, start, values)
    return values


def _upsert(
    tenant_id: int, site_id: int, grain: str, start: dt.datetime, values: dict[str, Any]
) -> None:
    columns = [*COUNTS, *LATENCIES, *LISTS]
    params = [values[c] if c not in LISTS else json.dumps(values[c]) for c in columns]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    database.execute_sql(
        f"INSERT INTO analytics_rollups (tenant_id, site_id, grain, bucket, {', '.join(columns)}) "
        f"VALUES (%s, %s, %s, %s, {', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (site_id, grain, bucket) DO UPDATE SET {updates}, computed_at = now()",
        (tenant_id, site_id, grain, start, *params),
    )


def mark_recent_turns(within: dt.timedelta = dt.timedelta(hours=2)) -> int:
    """Mark the hours of recent voice turns dirty: turns are written by the voice path, which
    must not pay for analytics, so the rollup pass picks them up from here."""
    cursor = database.execute_sql(
        "INSERT INTO analytics_dirty (site_id, bucket) "
        "SELECT DISTINCT site_id, date_trunc('hour', created_at) FROM voice_turns "
        "WHERE created_at >= now() - %s ON CONFLICT DO NOTHING",
        (within,),
    )
    return cursor.rowcount


def run_pass(limit: int = 500) -> int:
    """Recompute every dirty hour and its day; returns how many hours it rebuilt. Safe on two
    workers at once: each takes its own dirty rows (SKIP LOCKED) and a bucket's row is a pure
    function of the raw rows."""
    mark_recent_turns()
    done = 0
    while True:
        with database.atomic():
            taken = database.execute_sql(
                "DELETE FROM analytics_dirty WHERE (site_id, bucket) IN ("
                " SELECT site_id, bucket FROM analytics_dirty ORDER BY bucket"
                " LIMIT %s FOR UPDATE SKIP LOCKED) "
                "RETURNING site_id, bucket, "
                " (SELECT tenant_id FROM sites WHERE sites.id = analytics_dirty.site_id)",
                (limit,),
            ).fetchall()
            days = set()
            for site_id, bucket, tenant_id in taken:
                recompute(tenant_id, site_id, "hour", bucket_start(bucket, "hour"))
                days.add((tenant_id, site_id, bucket_start(bucket, "day")))
            for tenant_id, site_id, day in sorted(days):
                recompute(tenant_id, site_id, "day", day)
        done += len(taken)
        if len(taken) < limit:
            return done


def _ms(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None
