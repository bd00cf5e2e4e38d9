"""The weekly report of a site: last week's numbers from the daily rollups, its top questions,
and the content gaps that are new since the week before. Stored once per site and week, shown
in the admin UI, downloadable as CSV, and emailed to the site's subscriber when SMTP is set."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

from sitespeak.analytics import summary
from sitespeak.db.connection import database
from sitespeak.errors import InvalidInput

# What a report shows, in order, with the label a person reads (also the CSV's rows).
NUMBERS = (
    ("sessions", "Visitor sessions"),
    ("turns", "Questions answered or declined"),
    ("answered", "Answered"),
    ("answered_rate", "Answered rate"),
    ("declined", "Could not answer"),
    ("thumbs_up", "Thumbs up"),
    ("thumbs_down", "Thumbs down"),
    ("audio_p95", "First answer audio, p95 (ms)"),
    ("citations_clicked", "Citations clicked"),
    ("actions_performed", "Page actions performed"),
)


def last_week(now: dt.datetime) -> dt.date:
    """The Monday of the last whole week (UTC) before ``now``."""
    today = now.astimezone(dt.UTC).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def build(tenant_id: int, site_id: int, week_start: dt.date) -> dict[str, Any]:
    """The report of the week starting on ``week_start`` (a Monday)."""
    if week_start.weekday() != 0:
        raise InvalidInput(f"a report week starts on a Monday, not on {week_start:%A}")
    last_day = dt.datetime.combine(week_start + dt.timedelta(days=6), dt.time(), dt.UTC)
    week = summary.site_summary(tenant_id, site_id, days=7, now=last_day)
    before = summary.site_summary(tenant_id, site_id, days=7, now=last_day - dt.timedelta(7))
    known = {text for text, _ in before["gaps"]}
    return {
        "week_start": week_start.isoformat(),
        "numbers": {key: week.get(key) for key, _ in NUMBERS},
        "top_questions": week["top_questions"],
        "new_gaps": [[text, n] for text, n in week["gaps"] if text not in known],
    }


def store(tenant_id: int, site_id: int, report: dict[str, Any]) -> int | None:
    """Keeps the report of a site's week once; returns its id, or None when it existed."""
    cursor = database.execute_sql(
        "INSERT INTO analytics_reports (tenant_id, site_id, week_start, body) "
        "VALUES (%s, %s, %s, %s::jsonb) ON CONFLICT (site_id, week_start) DO NOTHING RETURNING id",
        (tenant_id, site_id, report["week_start"], json.dumps(report)),
    )
    row = cursor.fetchone()
    return int(row[0]) if row else None


_COLUMNS = "SELECT id, body, emailed_to, created_at FROM analytics_reports "


def _view(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"id": row[0], **row[1], "emailed_to": row[2], "created_at": row[3]}


def reports_of(tenant_id: int, site_id: int, limit: int = 12) -> list[dict[str, Any]]:
    """A site's stored reports, newest first (scoped by tenant)."""
    cursor = database.execute_sql(
        _COLUMNS + "WHERE tenant_id = %s AND site_id = %s ORDER BY week_start DESC LIMIT %s",
        (tenant_id, site_id, limit),
    )
    return [_view(row) for row in cursor.fetchall()]


def report(tenant_id: int, site_id: int, week_start: dt.date) -> dict[str, Any] | None:
    """One week's stored report (its row is unique per site and week)."""
    row = database.execute_sql(
        _COLUMNS + "WHERE tenant_id = %s AND site_id = %s AND week_start = %s",
        (tenant_id, site_id, week_start),
    ).fetchone()
    return _view(row) if row else None


def file_name(site_name: str, week: str) -> str:
    """A download's file name: the site's name in letters, digits and dashes only (it goes into
    a header and onto the owner's disk)."""
    return f"sitespeak-{re.sub(r'[^A-Za-z0-9]+', '-', site_name).strip('-')[:60]}-{week}.csv"


def as_csv(site_name: str, report: dict[str, Any]) -> str:
    """One report as CSV: section, item, value (a spreadsheet opens it as it is)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "value"])
    writer.writerow(["site", site_name, ""])
    writer.writerow(["week", report["week_start"], ""])
    for key, label in NUMBERS:
        value = report["numbers"].get(key)
        writer.writerow(["numbers", label, "" if value is None else value])
    for text, count in report["top_questions"]:
        writer.writerow(["top question", text, count])
    for text, count in report["new_gaps"]:
        writer.writerow(["new content gap", text, count])
    return out.getvalue()


def as_text(site_name: str, report: dict[str, Any]) -> str:
    """The email body: the same content, for a person reading mail."""
    lines = [f"SiteSpeak weekly report for {site_name}, week of {report['week_start']}", ""]
    for key, label in NUMBERS:
        value = report["numbers"].get(key)
        lines.append(f"{label}: {'-' if value is None else value}")
    for title, key in (("Top questions", "top_questions"), ("New content gaps", "new_gaps")):
        lines += ["", f"{title}:"]
        lines += [f"  {n} x {text}" for text, n in report[key]] or ["  (none)"]
    return "\n".join(lines) + "\n"
