"""The conversations as an owner reads them (issue 16, items 8 and 6), in Chromium against a
real web process: the first question and the outcome of each conversation, no empty sessions,
filters, times in the viewer's own zone, the latency of a turn folded away; and a dashboard
whose first numbers are about visitors and answers, the infrastructure below."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from sitespeak.analytics import rollups
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.sites import create_site
from sitespeak.tenancy.tenants import get_tenant
from sitespeak.voice import conversations
from tests.admin.conftest import QUIET_ENV
from tests.support.browser import needs_chromium, shot, sign_in_owner
from tests.support.processes import start_web

pytestmark = [pytest.mark.slow, needs_chromium]
TENANT = "Talks Co"
TIMINGS = {"eos_to_started_ms": 180.0, "stt_ms": 120.0, "eos_to_first_audio_ms": 640.0}


def _turn(seq: int, question: str, covered: bool, mode: str = "text") -> dict:
    return {
        "seq": seq,
        "input_mode": mode,
        "transcript": question,
        "answer": "We open at 9 am." if covered else "I couldn't find that on this site.",
        "covered": covered,
        "citations": [],
        "timings": TIMINGS,
    }


@pytest.fixture(scope="module")
def web(base_env, tmp_path_factory):
    proc = start_web({**base_env, **QUIET_ENV}, tmp_path_factory.mktemp("talks"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def owner(web, browser):
    # The viewer is in New York; the server stores and prints UTC.
    page = sign_in_owner(web, browser, TENANT, timezone_id="America/New_York", locale="en-US")
    # A tenant of its own: other modules' sites and turns must not show in its numbers.
    with database.connection_context(), database.atomic():  # committed for the web process
        tenant = get_tenant(TENANT)
        site = create_site(tenant.id, f"Talks {uuid.uuid4().hex[:6]}", ["https://talks.example/"])
        for sid, turns in {
            "empty": [],
            "answered": [_turn(1, "When do you open on Sunday?", True, "speech")],
            "gap": [_turn(1, "Do you sell gluten-free bread?", False), _turn(2, "Cakes?", True)],
        }.items():
            # One visitor used the widget on another address than the crawled one.
            page_url = "https://www.talks.example/menu" if sid == "gap" else ""
            conversations.open_session(
                f"{sid}-{site.id}", tenant.id, site.id, page_url, "en", "", {}
            )
            for turn in turns:
                conversations.record_turn(f"{sid}-{site.id}", tenant.id, site.id, turn)
        # The visitor of the "gap" conversation voted its second answer down (a widget beacon).
        database.execute_sql(
            "UPDATE voice_turns SET feedback = 'down' WHERE session_id = %s AND seq = 2",
            (f"gap-{site.id}",),
        )
    yield page, site
    page.context.close()


def rows(page) -> list[str]:
    return page.locator("table.conversations tbody tr").all_inner_texts()


def test_the_list_shows_first_questions_and_outcomes_and_hides_empty_sessions(web, owner):
    page, site = owner
    page.goto(f"{web.url}/admin/conversations?site={site.id}")
    found = rows(page)
    assert len(found) == 2, found  # the session without a question is not listed
    assert "Do you sell gluten-free bread?" in found[0] and "1 of 2 not answered" in found[0]
    assert "When do you open on Sunday?" in found[1] and "answered" in found[1]
    assert "spoken" in found[1]
    when = page.locator("table.conversations time").first
    # Words, not ISO (how many minutes is the box's business: the turns were stored at set-up).
    assert re.fullmatch(r"just now|\d+ min ago", when.inner_text()), when.inner_text()
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert zone == "America/New_York"
    assert when.get_attribute("title").endswith((" EST", " EDT"))  # the viewer's zone
    shot(page, "admin-conversations.png")

    page.select_option("select[name=outcome]", "gap")
    page.click("button:has-text('Filter')")
    assert len(rows(page)) == 1 and "gluten-free" in rows(page)[0]
    page.select_option("select[name=outcome]", "not_helpful")
    page.click("button:has-text('Filter')")
    assert len(rows(page)) == 1 and "1 voted not helpful" in rows(page)[0]
    page.click("text=Do you sell gluten-free bread?")
    assert page.locator(".turn .vote").inner_text() == "the visitor voted it not helpful"
    page.go_back()
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    page.goto(f"{web.url}/admin/conversations?site={site.id}&since={tomorrow}")
    assert rows(page) == [] and page.locator("text=No conversation matches").is_visible()
    page.goto(f"{web.url}/admin/conversations?site={site.id}&since=yesterday")
    assert "a date like" in page.content()


def test_a_conversation_shows_its_turns_with_the_latency_folded(web, owner):
    page, site = owner
    page.goto(f"{web.url}/admin/conversations?site={site.id}")
    page.click("text=When do you open on Sunday?")
    turn = page.locator(".turn").first
    assert turn.locator(".q").inner_text() == "spoken When do you open on Sunday?"
    assert turn.locator("details.latency").get_attribute("open") is None
    assert not turn.locator("table.timings").is_visible()
    turn.locator("details.latency summary").click()
    assert turn.locator("table.timings").is_visible()
    assert "T" not in page.locator(".facts time").inner_text()
    shot(page, "admin-conversation-folded.png")


def test_the_dashboard_shows_the_owners_numbers_before_the_infrastructure(web, owner):
    page, site = owner
    with database.connection_context(), database.atomic():  # committed for the web process
        rollups.run_pass()  # what the analytics worker does seconds after a turn
    page.goto(web.url + "/admin/")
    headings = page.locator("main h2").all_inner_texts()
    assert headings.index("Visitors and answers") < headings.index("Infrastructure")
    assert headings.index("Infrastructure") < headings.index("Web process")
    assert page.locator('dd[data-n="turns"]').inner_text() == "3"  # today's questions
    assert page.locator('dd[data-n="answered_rate"]').inner_text() == "67%"
    assert page.locator('dd[data-n="audio_p95"]').inner_text().endswith(" ms")
    gaps = page.locator("section", has=page.locator("h2", has_text="Could not answer"))
    assert "do you sell gluten-free bread" in gaps.inner_text()
    crawls = page.locator("table.crawls tr", has_text=site.name)
    assert "never crawled" in crawls.inner_text()
    shot(page, "admin-dashboard-owner.png")


def test_the_site_page_says_when_the_widget_runs_elsewhere_than_crawled(web, owner):
    page, site = owner
    page.goto(f"{web.url}/admin/sites/{site.id}")
    notice = page.locator(".origin-mismatch")
    assert notice.is_visible()
    assert "https://www.talks.example" in notice.inner_text()
    assert "crawled at https://talks.example" in notice.inner_text()
    shot(page, "admin-site-origin-mismatch.png")


def test_the_jobs_page_lists_recent_jobs_of_every_state_with_filters(web, owner):
    page, site = owner
    now = dt.datetime.now(dt.UTC)
    with database.connection_context(), database.atomic():  # committed for the web process
        tenant = get_tenant(TENANT)
        for status, queue, error in (
            ("succeeded", "crawler", None),
            ("running", "critical", None),
            ("dead", "crawler", "ValueError: boom"),
        ):
            Job.create(
                id=uuid.uuid4(),
                tenant=tenant.id,
                queue=queue,
                name="crawl.site",
                status=status,
                last_error=error,
                started_at=now - dt.timedelta(seconds=5),
                finished_at=now if status != "running" else None,
            )
    page.goto(web.url + "/admin/jobs")
    states = page.locator("table.jobs tbody .pill").all_inner_texts()
    assert {"succeeded", "running", "dead"} <= set(states), states
    done = page.locator("table.jobs tbody tr", has_text="succeeded").first
    assert "5.0 s" in done.inner_text()  # how long it took
    shot(page, "admin-jobs.png")
    page.select_option("select[name=status]", "dead")
    page.click("button:has-text('Filter')")
    rows = page.locator("table.jobs tbody tr")
    assert rows.count() == 1 and "boom" in rows.first.inner_text()
    assert rows.first.locator("button", has_text="Retry").count() == 1
    page.goto(web.url + "/admin/jobs?queue=critical")
    assert page.locator("table.jobs tbody .pill").all_inner_texts() == ["running"]


def test_the_charts_take_a_date_range_and_state_the_time_zone(web, owner):
    page, site = owner
    page.goto(f"{web.url}/admin/charts?site={site.id}")
    assert page.locator("h2", has_text="Last 30 days").is_visible()
    assert "Days are UTC days" in page.locator("section.visitors").inner_text()
    page.select_option("select[name=days]", "7")
    page.click("button:has-text('Show')")
    assert page.locator("h2", has_text="Last 7 days").is_visible()
    page.goto(f"{web.url}/admin/charts?site={site.id}&days=12")
    assert "days: one of 7, 30, 90" in page.content()
