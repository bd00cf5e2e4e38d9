"""The widget's beacons through a real web process and a real worker: validated on the web
path, queued on the analytics queue, stored once per client event id, rolled up."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import httpx
import pytest

from sitespeak.analytics import summary
from sitespeak.db.connection import database
from sitespeak.voice import conversations
from sitespeak.voice.models import VoiceTurn
from sitespeak.web.site_keys import KEY_TTL
from tests.conftest import own_queues
from tests.support.processes import run_command, start_web, start_worker, wait_for

ORIGIN = "https://shop.example"


@pytest.fixture(scope="module")
def stack_env(base_env):
    return own_queues(base_env)


@pytest.fixture(scope="module")
def stack(stack_env, tmp_path_factory):
    env = stack_env
    logs = tmp_path_factory.mktemp("ingest-logs")
    web = start_web(env, logs)
    worker = start_worker(env, logs, SITESPEAK_WORKER_QUEUES="analytics")
    yield web
    web.stop()
    worker.stop()


def beacon(session: str, *events: dict) -> list[dict]:
    return [{"id": e.pop("id", uuid.uuid4().hex), "session": session, **e} for e in events]


def post(stack, key: str, events: list[dict], origin: str = ORIGIN) -> httpx.Response:
    import json

    return httpx.post(
        stack.url + "/widget-events",
        content=json.dumps({"key": key, "events": events}),
        headers={"Origin": origin, "Content-Type": "text/plain;charset=UTF-8"},
        timeout=5,
    )


def today(tenant_id: int, site_id: int) -> dict:
    with database.connection_context():
        return summary.site_summary(tenant_id, site_id, days=1, now=dt.datetime.now(dt.UTC))


def test_widget_events_reach_the_rollups_through_the_worker(stack, alice, make_site):
    site = make_site(alice.tenant, ORIGIN)
    events = beacon(
        "s-visitor-1",
        {"type": "panel.opened", "page": "/"},
        {"type": "question.asked", "mode": "typed", "text": "hours?", "page": "/visit"},
        {"type": "feedback", "turn": 1, "value": "up"},
        {"type": "citation.clicked", "url": ORIGIN + "/visit"},
    )
    response = post(stack, site.key, events)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 4}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    numbers = wait_for(
        lambda: (n := today(alice.tenant.id, site.id))["questions"] == 1 and n,
        what="the batch in the rollups",
    )
    assert (numbers["panel_opens"], numbers["thumbs_up"], numbers["citations_clicked"]) == (1, 1, 1)
    assert numbers["top_pages"] == [["/visit", 1]]


def test_a_retried_beacon_counts_once(stack, alice, make_site):
    site = make_site(alice.tenant, ORIGIN)
    events = beacon("s-visitor-2", {"type": "panel.opened"}, {"type": "mic.started"})
    for _ in range(3):
        assert post(stack, site.key, [dict(e) for e in events]).status_code == 200
    post(stack, site.key, beacon("s-visitor-2", {"type": "session.ended"}))
    numbers = wait_for(
        lambda: (n := today(alice.tenant.id, site.id))["sessions_ended"] == 1 and n,
        what="the last batch in the rollups",
    )
    assert (numbers["panel_opens"], numbers["mic_starts"]) == (1, 1)


@pytest.mark.parametrize(
    "bad, expect",
    [
        ({"type": "question.asked", "mode": "shouted"}, "mode"),
        ({"type": "teleported"}, "type"),
        ({"type": "feedback", "turn": 1, "value": "up", "extra": 1}, "extra"),
        ({"type": "panel.opened", "id": "x"}, "id"),
    ],
)
def test_a_bad_event_is_refused_and_nothing_of_its_batch_is_stored(
    stack, alice, make_site, bad, expect
):
    site = make_site(alice.tenant, ORIGIN)
    good_id = uuid.uuid4().hex
    events = beacon("s-visitor-3", {"type": "panel.opened", "id": good_id}, bad)
    response = post(stack, site.key, events)
    assert response.status_code == 400
    assert expect in response.json()["detail"] and "events.1" in response.json()["detail"]
    assert _stored(site) == 0


def _stored(site) -> int:
    with database.connection_context():
        return database.execute_sql(
            "SELECT count(*) FROM analytics_events WHERE site_id = %s", (site.id,)
        ).fetchone()[0]


def test_a_beacon_from_another_origin_or_with_an_unknown_key_is_refused(stack, alice, make_site):
    site = make_site(alice.tenant, ORIGIN)
    events = beacon("s-visitor-4", {"type": "panel.opened"})
    assert post(stack, site.key, events, origin="https://evil.example").status_code == 403
    assert post(stack, "pk_nope", events).status_code == 400
    assert post(stack, site.key, []).status_code == 400


def _conversation(site) -> str:
    session_id = f"vs-{uuid.uuid4().hex[:12]}"
    with database.connection_context():
        conversations.open_session(session_id, site.tenant_id, site.id, "", "en-US", "", {})
        turn = {"seq": 1, "input_mode": "text", "transcript": "hours?", "answer": "9 to 5"}
        conversations.record_turn(session_id, site.tenant_id, site.id, turn)
    return session_id


def _vote(session_id: str) -> str | None:
    with database.connection_context():
        return VoiceTurn.get(VoiceTurn.session == session_id, VoiceTurn.seq == 1).feedback


def test_a_thumbs_down_marks_its_conversation_for_the_owner_only_on_the_same_site(
    stack, alice, charlie, make_site
):
    mine, theirs = make_site(alice.tenant, ORIGIN), make_site(charlie.tenant, ORIGIN)
    voted, other = _conversation(mine), _conversation(theirs)
    vote = {"type": "feedback", "turn": 1, "value": "down", "voice_session": voted}
    # The same vote naming charlie's conversation, sent with alice's (public) site key.
    forged = {"type": "feedback", "turn": 1, "value": "down", "voice_session": other}
    assert post(stack, mine.key, beacon("s-visitor-9", vote, forged)).status_code == 200

    wait_for(lambda: _vote(voted) == "down", what="the vote on its turn")
    assert _vote(other) is None
    with database.connection_context():
        listed = conversations.list_conversations(alice.tenant.id, mine.id, outcome="not_helpful")
    assert [c["id"] for c in listed["items"]] == [voted]
    assert listed["items"][0]["not_helpful"] == 1


def _patch(web, persona, site_id: int, changes: dict) -> None:
    response = httpx.patch(
        f"{web.url}/api/v1/sites/{site_id}",
        json=changes,
        headers={"Authorization": f"Bearer {persona.token}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text


def test_an_origin_taken_off_a_site_is_refused_at_once_by_every_web_process(
    stack, stack_env, tmp_path, alice, make_site
):
    other = start_web(stack_env, tmp_path)  # a second web process, with its own key cache
    try:
        site = make_site(alice.tenant, ORIGIN)
        kept = "https://kept.example"
        _patch(stack, alice, site.id, {"allowed_origins": [ORIGIN, kept]})
        for web in (stack, other):  # both have the key cached with its two origins
            assert post(web, site.key, beacon("s-visitor-5", {"type": "mic.started"})).is_success

        _patch(stack, alice, site.id, {"allowed_origins": [kept]})
        # The process that made the change refuses at once; the other once the event reaches it.
        refused = post(stack, site.key, beacon("s-visitor-5", {"type": "mic.started"}))
        assert refused.status_code == 403
        wait_for(
            lambda: (
                post(other, site.key, beacon("s-visitor-5", {"type": "mic.started"})).status_code
                == 403
            ),
            timeout=5,
            what="the other web process refusing the removed origin",
        )
        events = beacon("s-visitor-5", {"type": "mic.started"})
        assert post(other, site.key, events, origin=kept).status_code == 200
    finally:
        other.stop()


def test_a_deleted_sites_key_is_refused_at_once(stack, alice, make_site):
    site = make_site(alice.tenant, ORIGIN)
    assert post(stack, site.key, beacon("s-visitor-6", {"type": "mic.started"})).is_success
    wait_for(lambda: _stored(site) == 1, what="the batch stored before its site goes")
    deleted = httpx.delete(
        f"{stack.url}/api/v1/sites/{site.id}",
        headers={"Authorization": f"Bearer {alice.token}"},
        timeout=5,
    )
    assert deleted.status_code == 204
    assert post(stack, site.key, beacon("s-visitor-6", {"type": "mic.started"})).status_code == 400


def test_origins_changed_from_the_cli_reach_a_running_web_processs_key_cache(
    stack, stack_env, alice, make_site
):
    site = make_site(alice.tenant, ORIGIN)
    moved = "https://moved.example"
    # Both answers are cached now: the old origin let in, the new one refused.
    assert post(stack, site.key, beacon("s-visitor-7", {"type": "mic.started"})).is_success
    events = beacon("s-visitor-7", {"type": "mic.started"})
    assert post(stack, site.key, events, origin=moved).status_code == 403

    done = run_command(
        {**os.environ, **stack_env},
        "site",
        "origins",
        site.name,
        moved,
        "--tenant",
        alice.tenant.name,
    )
    assert done.returncode == 0, done.stderr
    # Well within the cache's lifetime: only the CLI's site.changed event can have done it.
    wait_for(
        lambda: (
            post(stack, site.key, beacon("s-visitor-7", {"type": "mic.started"}), moved).is_success
        ),
        timeout=KEY_TTL / 2,
        what="the web process letting in the origin the CLI allowed",
    )
    assert post(stack, site.key, beacon("s-visitor-7", {"type": "mic.started"})).status_code == 403


def _feedback_stored(site, session_id: str) -> bool:
    with database.connection_context():
        return bool(
            database.execute_sql(
                "SELECT 1 FROM analytics_events WHERE site_id = %s AND kind = 'feedback' "
                "AND data->>'voice_session' = %s",
                (site.id, session_id),
            ).fetchone()
        )


def test_a_thumbs_down_stored_before_its_turn_is_recorded_still_lands_on_it(
    stack, alice, charlie, make_site
):
    # The turn is recorded in the background after the answer goes out: a quick vote's batch
    # can be stored first, and used to find no turn to mark.
    mine, theirs = make_site(alice.tenant, ORIGIN), make_site(charlie.tenant, ORIGIN)
    voted, other = f"vs-{uuid.uuid4().hex[:12]}", f"vs-{uuid.uuid4().hex[:12]}"
    with database.connection_context():
        for session_id, site in ((voted, mine), (other, theirs)):
            conversations.open_session(session_id, site.tenant_id, site.id, "", "en-US", "", {})
    vote = {"type": "feedback", "turn": 1, "value": "down", "voice_session": voted}
    forged = {"type": "feedback", "turn": 1, "value": "down", "voice_session": other}
    assert post(stack, mine.key, beacon("s-visitor-10", vote, forged)).status_code == 200
    wait_for(lambda: _feedback_stored(mine, voted), what="the vote's batch stored")

    turn = {"seq": 1, "input_mode": "text", "transcript": "hours?", "answer": "9 to 5"}
    with database.connection_context():
        conversations.record_turn(voted, mine.tenant_id, mine.id, turn)
        conversations.record_turn(other, theirs.tenant_id, theirs.id, turn)
    assert _vote(voted) == "down"
    assert _vote(other) is None  # a vote sent with alice's key never reaches charlie's turn
