"""Raw events beyond the retention period go, at the boundary exactly, folded into the
rollups first."""

from __future__ import annotations

import datetime as dt

from sitespeak.analytics import retention, summary
from sitespeak.db.connection import database
from tests.analytics.conftest import add_events, event

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _left(site_id: int) -> set[str]:
    rows = database.execute_sql(
        "SELECT client_id FROM analytics_events WHERE site_id = %s", (site_id,)
    ).fetchall()
    return {r[0] for r in rows}


def test_events_older_than_the_retention_go_and_their_counts_stay_in_the_rollups(alice, make_site):
    site = make_site(alice.tenant)
    cutoff = NOW - dt.timedelta(days=90)
    add_events(
        site, cutoff - dt.timedelta(seconds=1), event("panel.opened", client_id="old-event-1")
    )
    add_events(site, cutoff, event("panel.opened", client_id="edge-event-1"))
    retention.prune_events(90, NOW)
    assert _left(site.id) == {"edge-event-1"}
    retention.prune_events(90, NOW)  # twice: no harm
    assert _left(site.id) == {"edge-event-1"}
    old_day = summary.site_summary(
        alice.tenant.id, site.id, days=1, now=cutoff - dt.timedelta(seconds=1)
    )
    assert old_day["panel_opens"] == 2  # the deleted event still counted
