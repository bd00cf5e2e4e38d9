"""Aggregates over voice turns, computed in PostgreSQL (percentile_cont), scoped by tenant+site."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sitespeak.db.connection import database
from sitespeak.voice.timings import Timing

# Latency marks recorded per turn (sitespeak.voice.turn): since the end of the question.
FIRST_FEEDBACK = Timing.EOS_TO_STARTED
FIRST_AUDIO = Timing.EOS_TO_FIRST_AUDIO
# Stages in the order a turn runs them (each is time spent in that stage).
STAGES = (
    Timing.EOS_DELAY,
    Timing.WAIT,
    Timing.STT,
    Timing.RETRIEVAL,
    Timing.ANSWER,
    Timing.TTS_FIRST_AUDIO,
)


def _since(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def turns_per_day(tenant_id: int, site_id: int, days: int = 30) -> list[tuple[str, int]]:
    rows = database.execute_sql(
        "SELECT to_char(date_trunc('day', created_at), 'YYYY-MM-DD') AS day, count(*) "
        "FROM voice_turns WHERE tenant_id = %s AND site_id = %s AND created_at >= %s "
        "GROUP BY 1 ORDER BY 1",
        (tenant_id, site_id, _since(days)),
    ).fetchall()
    return [(day, int(n)) for day, n in rows]


def latency_per_day(tenant_id: int, site_id: int, days: int = 30) -> list[dict[str, Any]]:
    """p50/p95 of first feedback and first audio per day (ms); None where no turn measured it."""
    sql = (
        "SELECT to_char(date_trunc('day', created_at), 'YYYY-MM-DD') AS day, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY (timings->>%s)::float), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY (timings->>%s)::float), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY (timings->>%s)::float), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY (timings->>%s)::float) "
        "FROM voice_turns WHERE tenant_id = %s AND site_id = %s AND created_at >= %s "
        "GROUP BY 1 ORDER BY 1"
    )
    rows = database.execute_sql(
        sql,
        (
            FIRST_FEEDBACK,
            FIRST_FEEDBACK,
            FIRST_AUDIO,
            FIRST_AUDIO,
            tenant_id,
            site_id,
            _since(days),
        ),
    ).fetchall()
    return [
        {
            "day": day,
            "feedback_p50": _num(a),
            "feedback_p95": _num(b),
            "audio_p50": _num(c),
            "audio_p95": _num(d),
        }
        for day, a, b, c, d in rows
    ]


def top_questions(
    tenant_id: int, site_id: int, limit: int = 10, *, uncovered_only: bool = False, days: int = 90
) -> list[tuple[str, int]]:
    """Most asked questions (normalised); with ``uncovered_only`` the site's content gaps:
    questions answered with no good passage."""
    gap = "AND NOT covered " if uncovered_only else ""
    rows = database.execute_sql(
        "SELECT lower(btrim(transcript, ' ?!.')) AS q, count(*) FROM voice_turns "
        f"WHERE tenant_id = %s AND site_id = %s AND created_at >= %s AND transcript <> '' {gap}"
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s",
        (tenant_id, site_id, _since(days), limit),
    ).fetchall()
    return [(q, int(n)) for q, n in rows]


def stage_breakdown(timings: dict[str, Any]) -> list[tuple[str, float]]:
    """The stages a turn went through, in order, with their ms (missing stages left out)."""
    return [
        (name.removesuffix("_ms"), float(timings[name]))
        for name in STAGES
        if isinstance(timings.get(name), (int, float))
    ]


def _num(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None
