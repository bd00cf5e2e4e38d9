"""The weekly reports page of a site: the stored reports, each as a CSV download, the email
subscription form; nothing of it for another tenant, and viewers cannot change the address."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sitespeak.db.connection import database
from sitespeak.reports import subscriptions
from sitespeak.reports import weekly as reports
from sitespeak.sites import create_site

WEEK = dt.date(2026, 11, 9)


def in_db(fn: Callable[..., Any], *args: Any) -> Any:
    # Its own connection: the app under test runs its queries on its own pool's threads.
    with database.connection_context():
        return fn(*args)


def new_site(tenant_id: int) -> int:
    name = f"Reports {uuid.uuid4().hex[:6]}"
    return in_db(create_site, tenant_id, name, ["https://shop.example/"]).id


def stored_report(tenant_id: int, site_id: int) -> None:
    report = {
        "week_start": WEEK.isoformat(),
        "numbers": {key: 0 for key, _ in reports.NUMBERS} | {"turns": 7},
        "top_questions": [["when are you open", 5]],
        "new_gaps": [["do you sell gift cards", 2]],
    }
    in_db(reports.store, tenant_id, site_id, report)


async def test_an_owner_sees_the_weekly_report_and_downloads_it_as_csv(alice, login):
    site_id = new_site(alice.tenant.id)
    stored_report(alice.tenant.id, site_id)
    browser = await login(alice)
    response, body = await browser.get(f"/admin/sites/{site_id}/reports")
    assert response.status_code == 200
    assert "Week of 2026-11-09" in body and "do you sell gift cards" in body
    response, body = await browser.get(f"/admin/sites/{site_id}/reports/2026-11-09.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "top question,when are you open,5" in body


async def test_an_owner_sets_and_clears_the_report_email(alice, login):
    site_id = new_site(alice.tenant.id)
    browser = await login(alice)
    await browser.get(f"/admin/sites/{site_id}/reports")
    form = {"email": "owner@shop.example"}
    response, _ = await browser.post(f"/admin/sites/{site_id}/reports/subscription", form)
    assert response.status_code == 303
    assert in_db(subscriptions.subscriber, alice.tenant.id, site_id) == "owner@shop.example"
    await browser.post(f"/admin/sites/{site_id}/reports/subscription", {"email": ""})
    assert in_db(subscriptions.subscriber, alice.tenant.id, site_id) is None


async def test_charlie_gets_nothing_of_alices_reports_and_bob_cannot_subscribe(
    alice, bob, charlie, login
):
    site_id = new_site(alice.tenant.id)
    stored_report(alice.tenant.id, site_id)
    outsider = await login(charlie)
    for path in ("reports", "reports/2026-11-09.csv"):
        response, body = await outsider.get(f"/admin/sites/{site_id}/{path}")
        assert response.status_code == 404 and "gift cards" not in body
    viewer = await login(bob)
    await viewer.get(f"/admin/sites/{site_id}/reports")
    form = {"email": "bob@example.test"}
    response, _ = await viewer.post(f"/admin/sites/{site_id}/reports/subscription", form)
    assert response.status_code == 403
    assert in_db(subscriptions.subscriber, alice.tenant.id, site_id) is None
