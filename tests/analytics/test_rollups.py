"""Rollups per site per hour/day from raw events and voice turns, and the summaries the
dashboards read from them."""

from __future__ import annotations

import datetime as dt
import threading

from sitespeak.analytics import rollups, summary
from sitespeak.db.connection import database
from tests.analytics.conftest import add_events, add_turn, event

NOON = dt.datetime(2026, 11, 30, 12, 15, tzinfo=dt.UTC)


def test_a_retried_batch_is_stored_once(alice, make_site):
    site = make_site(alice.tenant)
    batch = [event("panel.opened", client_id="evt-retry-1"), event("mic.started")]
    assert add_events(site, NOON, *batch) == 2
    assert add_events(site, NOON, *batch) == 0
    rollups.run_pass()
    row = summary.site_summary(alice.tenant.id, site.id, days=1, now=NOON)
    assert (row["panel_opens"], row["mic_starts"]) == (1, 1)


def test_hour_and_day_rollups_count_events_and_turns(alice, make_site):
    site = make_site(alice.tenant)
    add_events(
        site,
        NOON,
        event("panel.opened", "s-aaaaaaaa"),
        event("panel.opened", "s-bbbbbbbb"),
        event("question.asked", "s-aaaaaaaa", mode="spoken", text="hours?", page="/visit"),
        event("question.asked", "s-bbbbbbbb", mode="typed", text="price?", page="/visit"),
        event("feedback", "s-aaaaaaaa", turn=1, value="up"),
        event("feedback", "s-bbbbbbbb", turn=1, value="down"),
        event("citation.clicked", "s-aaaaaaaa", url="https://shop.example/a"),
        event("action.performed", "s-aaaaaaaa", action="navigate:/visit"),
        event("action.refused", "s-bbbbbbbb", action="submit:/order"),
        event("session.ended", "s-aaaaaaaa"),
    )
    add_events(site, NOON + dt.timedelta(hours=2), event("panel.opened", "s-cccccccc"))
    for ms in (100, 200, 300, 400):
        add_turn(site, NOON, "When are you open?", first_audio_ms=ms)
    add_turn(site, NOON, "Do you sell unicorns?", covered=False)
    rollups.run_pass()

    hour = summary._rows(
        alice.tenant.id, site.id, NOON.replace(minute=0), NOON + dt.timedelta(hours=1), "hour"
    )
    assert len(hour) == 1
    day = summary.site_summary(alice.tenant.id, site.id, days=1, now=NOON)
    assert day["sessions"] == 3 and hour[0]["sessions"] == 2
    assert (day["questions"], day["questions_spoken"], day["questions_typed"]) == (2, 1, 1)
    assert (day["turns"], day["answered"], day["declined"]) == (5, 4, 1)
    assert day["answered_rate"] == 0.8
    assert (day["thumbs_up"], day["thumbs_down"]) == (1, 1)
    assert (day["citations_clicked"], day["actions_performed"], day["actions_refused"]) == (1, 1, 1)
    assert day["top_questions"][0] == ["when are you open", 4]
    assert day["gaps"] == [["do you sell unicorns", 1]]
    assert day["top_pages"] == [["/visit", 2]]
    assert 300 <= day["audio_p50"] <= 400 and day["audio_p95"] >= day["audio_p50"]


def test_a_summary_shows_nothing_of_another_tenant(alice, charlie, make_site):
    mine, theirs = make_site(alice.tenant), make_site(charlie.tenant)
    add_events(theirs, NOON, event("panel.opened"))
    rollups.run_pass()
    assert summary.site_summary(alice.tenant.id, theirs.id, days=1, now=NOON)["panel_opens"] == 0
    alices = summary.tenant_summary(alice.tenant.id, days=1, now=NOON)
    assert theirs.id not in alices["sites"]
    add_events(mine, NOON, event("panel.opened"))
    rollups.run_pass()
    assert mine.id in summary.tenant_summary(alice.tenant.id, days=1, now=NOON)["sites"]


def test_two_rollup_passes_at_once_give_the_same_numbers(alice, make_site):
    site = make_site(alice.tenant)
    for n in range(30):
        add_events(site, NOON + dt.timedelta(hours=n % 5), event("panel.opened"))
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            with database.connection_context():
                rollups.run_pass(limit=2)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert summary.site_summary(alice.tenant.id, site.id, days=1, now=NOON)["panel_opens"] == 30
