"""The widget's analytics beacons in Chromium: through the real web process and an analytics
worker to the rollups shown on the admin charts page."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest

from sitespeak.analytics import rollups, summary
from sitespeak.db.connection import database
from tests.support.processes import start_worker, wait_for
from tests.widget.conftest import WidgetSite
from tests.widget.test_widget_in_browser import W, ask, open_widget, wait_turns


@pytest.fixture(scope="module")
def analytics_worker(base_env, widget_web, tmp_path_factory):
    # One thread: the worker stores the queued batches one at a time, in the order they were
    # queued, so a marker batch stored means every batch queued before it is stored too.
    worker = start_worker(
        base_env,
        tmp_path_factory.mktemp("analytics-worker"),
        SITESPEAK_WORKER_QUEUES="analytics",
        SITESPEAK_WORKER_THREADS="1",
    )
    yield worker
    worker.stop()


def numbers(site_id: int) -> dict:
    with database.connection_context():
        rollups.run_pass()  # the same pass the worker runs: settles what is already stored
        tenant = database.execute_sql(
            "SELECT tenant_id FROM sites WHERE id = %s", (site_id,)
        ).fetchone()[0]
        return summary.site_summary(tenant, site_id, days=1, now=dt.datetime.now(dt.UTC))


COUNTED = ("panel_opens", "questions_typed", "thumbs_up", "citations_clicked")


def _stored(site_id: int, client_id: str) -> bool:
    with database.connection_context():
        return bool(
            database.execute_sql(
                "SELECT 1 FROM analytics_events WHERE site_id = %s AND client_id = %s",
                (site_id, client_id),
            ).fetchone()
        )


def settled(site: WidgetSite, web_url: str) -> dict:
    """The numbers once the worker has stored what earlier tests' pages queued (their beacons
    wait in the analytics queue until this module's worker starts): a marker batch is queued
    behind them and waited for."""
    marker = f"settle-{uuid.uuid4().hex}"
    answer = httpx.post(
        web_url + "/widget-events",
        content=json.dumps(
            {
                "key": site.key,
                "events": [{"id": marker, "session": marker, "type": "session.ended"}],
            }
        ),
        headers={"Origin": site.url, "Content-Type": "text/plain"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    wait_for(lambda: _stored(site.id, marker), timeout=60, every=0.2, what="the marker batch")
    return numbers(site.id)


def test_a_visitors_panel_question_thumbs_and_citation_reach_the_rollups(
    page, widget_site, widget_web, analytics_worker
):
    before = settled(widget_site, widget_web.url)
    open_widget(page, widget_site.url + "/")
    ask(page, "When do you open on Sunday?")
    wait_turns(page, 1)
    page.click(f"{W} .m.bot:last-child .fb [data-vote=up]")
    assert page.get_attribute(f"{W} .m.bot:last-child .fb [data-vote=down]", "disabled") == ""
    page.locator(f"{W} .m.bot").last.locator(".cites a").first.click()  # leaves: a beacon
    page.wait_for_url("**/hours**")

    def grown() -> dict | None:
        now = numbers(widget_site.id)
        return now if now["citations_clicked"] > before["citations_clicked"] else None

    after = wait_for(grown, timeout=60, every=0.5, what="the widget's events in the rollups")
    assert after["panel_opens"] == before["panel_opens"] + 1
    assert after["questions_typed"] == before["questions_typed"] + 1
    assert after["thumbs_up"] == before["thumbs_up"] + 1
    assert after["citations_clicked"] == before["citations_clicked"] + 1
    assert after["turns"] >= before["turns"] + 1
    assert page.errors == []


def _voted_down(site_id: int, question: str) -> list[str]:
    with database.connection_context():
        rows = database.execute_sql(
            "SELECT session_id FROM voice_turns WHERE site_id = %s AND transcript = %s "
            "AND feedback = 'down'",
            (site_id, question),
        ).fetchall()
    return [r[0] for r in rows]


def test_a_thumbs_down_lands_on_the_turn_of_the_visitors_conversation(
    page, widget_site, analytics_worker
):
    question = "Do you bake bread on Sunday?"
    assert _voted_down(widget_site.id, question) == []
    open_widget(page, widget_site.url + "/")
    ask(page, question)
    wait_turns(page, 1)
    page.click(f"{W} .m.bot:last-child .fb [data-vote=down]")
    page.evaluate("dispatchEvent(new Event('pagehide'))")  # sends the beacon now
    voted = wait_for(
        lambda: _voted_down(widget_site.id, question), timeout=60, every=0.5, what="the vote"
    )
    assert len(voted) == 1
    assert page.errors == []
