"""The analytics job kind ``analytics.weekly_reports`` (analytics queue), submitted weekly by the
worker's schedule (``SCHEDULE``): last week's report of every site that had visitors, kept
once, and emailed to the site's subscriber when SMTP is configured."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobKind, RetryPolicy
from sitespeak.jobs.schedules import Slot, weekly
from sitespeak.reports import mail, subscriptions
from sitespeak.reports import weekly as reports
from sitespeak.settings import Settings


class WeekArgs(BaseModel, extra="forbid"):
    week_start: dt.date | None = Field(None, description="a Monday; default: last week")


def sites_with_visitors(week_start: dt.date) -> list[tuple[int, int]]:
    """(tenant id, site id) of every site with a daily rollup in the week."""
    start = dt.datetime.combine(week_start, dt.time(), dt.UTC)
    cursor = database.execute_sql(
        "SELECT DISTINCT tenant_id, site_id FROM analytics_rollups WHERE grain = 'day' "
        "AND bucket >= %s AND bucket < %s ORDER BY 2",
        (start, start + dt.timedelta(days=7)),
    )
    return [(int(t), int(s)) for t, s in cursor.fetchall()]


def email_report(settings: Settings, tenant_id: int, site_id: int, week_start: dt.date) -> bool:
    """Sends a stored report to the site's subscriber once; False when there is nothing to do."""
    to = subscriptions.subscriber(tenant_id, site_id)
    stored = reports.report(tenant_id, site_id, week_start)
    if not settings.smtp_host or to is None or stored is None or stored["emailed_to"]:
        return False
    name = Site.get_by_id(site_id).name
    mail.send(
        settings,
        to,
        f"SiteSpeak weekly report: {name}, week of {stored['week_start']}",
        reports.as_text(name, stored),
        reports.file_name(name, stored["week_start"]),
        reports.as_csv(name, stored),
    )
    database.execute_sql(
        "UPDATE analytics_reports SET emailed_to = %s WHERE id = %s", (to, stored["id"])
    )
    return True


def weekly_reports(ctx: JobContext, args: WeekArgs) -> dict[str, Any]:
    week = args.week_start or reports.last_week(dt.datetime.now(dt.UTC))
    made = emailed = 0
    for tenant_id, site_id in sites_with_visitors(week):
        report = reports.build(tenant_id, site_id, week)
        made += reports.store(tenant_id, site_id, report) is not None
        emailed += email_report(ctx.settings, tenant_id, site_id, week)
    return {"week_start": week.isoformat(), "reports": made, "emailed": emailed}


# Retried for an SMTP outage; the reports already stored are not made twice.
KINDS = (
    JobKind(
        "analytics.weekly_reports",
        weekly_reports,
        WeekArgs,
        ("analytics",),
        RetryPolicy(attempts=5, backoff_base=300.0, backoff_max=3600.0),
    ),
)
# Each ISO week's first pass makes the week before's reports (WeekArgs' default).
SCHEDULE = (Slot("analytics.weekly_reports", weekly),)
