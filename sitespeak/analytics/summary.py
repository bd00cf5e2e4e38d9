"""What the dashboards and charts read: a site's or a tenant's numbers over a period, from the
daily rollups only (never a scan of the raw events or the conversations).

Counts over a period are sums of days. Latency percentiles of a period are the turn-weighted
mean of the days' percentiles: an approximation (percentiles do not add), close when days are
alike, and it keeps the read to one row per day. Top lists merge the days' top entries.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sitespeak.analytics.rollups import COUNTS, LATENCIES
from sitespeak.db.connection import database


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def period(days: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The last ``days`` whole days up to and including today (UTC)."""
    end = (now or _now()).astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end += dt.timedelta(days=1)
    return end - dt.timedelta(days=days), end


def _rows(
    tenant_id: int, site_id: int | None, start: dt.datetime, end: dt.datetime, grain: str = "day"
) -> list[dict[str, Any]]:
    columns = ["bucket", *COUNTS, *LATENCIES, "top_questions", "gaps", "top_pages"]
    site_filter = "AND site_id = %s" if site_id is not None else ""
    params = [tenant_id, grain, start, end] + ([site_id] if site_id is not None else [])
    cursor = database.execute_sql(
        f"SELECT {', '.join(columns)} FROM analytics_rollups "
        f"WHERE tenant_id = %s AND grain = %s AND bucket >= %s AND bucket < %s {site_filter} "
        "ORDER BY bucket",
        params,
    )
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def fold(rows: list[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Several rollup rows as one set of numbers (sums, weighted latencies, merged top lists)."""
    totals: dict[str, Any] = {name: sum(r[name] for r in rows) for name in COUNTS}
    for name in LATENCIES:
        weighted = [(r[name], r["turns"]) for r in rows if r[name] is not None and r["turns"]]
        weight = sum(w for _, w in weighted)
        totals[name] = round(sum(v * w for v, w in weighted) / weight, 1) if weight else None
    totals["answered_rate"] = (
        round(totals["answered"] / totals["turns"], 3) if totals["turns"] else None
    )
    for name in ("top_questions", "gaps", "top_pages"):
        merged: Counter[str] = Counter()
        for row in rows:
            for text, count in row[name]:
                merged[text] += count
        totals[name] = [
            [text, n] for text, n in sorted(merged.items(), key=lambda x: (-x[1], x[0]))
        ][:top]
    return totals


def site_summary(
    tenant_id: int, site_id: int, days: int = 7, now: dt.datetime | None = None
) -> dict[str, Any]:
    """A site's numbers over the last ``days`` days (today included), from the daily rollups."""
    start, end = period(days, now)
    return {
        "site_id": site_id,
        "from": start.date().isoformat(),
        "to": (end - dt.timedelta(days=1)).date().isoformat(),
        **fold(_rows(tenant_id, site_id, start, end)),
    }


def tenant_summary(tenant_id: int, days: int = 7, now: dt.datetime | None = None) -> dict[str, Any]:
    """All of a tenant's sites together, and each site's own numbers."""
    start, end = period(days, now)
    rows = _rows(tenant_id, None, start, end)
    cursor = database.execute_sql(
        "SELECT DISTINCT site_id FROM analytics_rollups WHERE tenant_id = %s AND grain = 'day' "
        "AND bucket >= %s AND bucket < %s ORDER BY 1",
        (tenant_id, start, end),
    )
    sites = [r[0] for r in cursor.fetchall()]
    return {
        "from": start.date().isoformat(),
        "to": (end - dt.timedelta(days=1)).date().isoformat(),
        **fold(rows),
        "sites": {site_id: site_summary(tenant_id, site_id, days, now) for site_id in sites},
    }


def daily_series(
    tenant_id: int, site_id: int, days: int = 30, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """One entry per day that has a rollup, for the charts: the day and its numbers."""
    start, end = period(days, now)
    return [
        {"day": r["bucket"].astimezone(dt.UTC).date().isoformat(), **fold([r])}
        for r in _rows(tenant_id, site_id, start, end)
    ]
