"""What the daily maintenance job stops keeping: old conversations, crawl runs beyond the newest,
expired setup links and finished jobs, at the boundary exactly, for every tenant alike, and
twice at once without harm."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from sitespeak.accounts.models import SetupLink
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.knowledge.models import CrawlOutcome, CrawlRun
from sitespeak.maintenance import retention
from sitespeak.voice.models import VoiceSession, VoiceTurn

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
CUTOFF = NOW - dt.timedelta(days=90)
SECOND, HOUR = dt.timedelta(seconds=1), dt.timedelta(hours=1)


def conversation(site, last_activity: dt.datetime) -> str:
    sid = f"vs_{uuid.uuid4().hex[:12]}"
    VoiceSession.create(
        id=sid, tenant=site.tenant_id, site=site.id, started_at=last_activity - SECOND
    )
    VoiceTurn.create(session=sid, tenant=site.tenant_id, site=site.id, seq=1, input_mode="text")
    VoiceSession.update(last_turn_at=last_activity).where(VoiceSession.id == sid).execute()
    return sid


def crawl_run(site, started: dt.datetime, status: str = "succeeded") -> int:
    run = CrawlRun.create(tenant=site.tenant_id, site=site.id, status=status, started_at=started)
    CrawlOutcome.create(run=run.id, url=f"{site.start_urls[0]}p{run.id}", outcome="new")
    return run.id


def finished_job(status: str, finished: dt.datetime | None) -> uuid.UUID:
    job_id = uuid.uuid4()
    Job.create(id=job_id, queue="maintenance", name="echo", status=status, finished_at=finished)
    return job_id


def test_conversations_idle_beyond_the_retention_go_with_their_turns(alice, charlie, make_site):
    a, b = make_site(alice.tenant), make_site(charlie.tenant)
    old_a, edge_a = conversation(a, CUTOFF - SECOND), conversation(a, CUTOFF)
    old_b, new_b = conversation(b, CUTOFF - 60 * SECOND), conversation(b, NOW)
    assert retention.old_conversations(90, NOW) >= 2
    left = {s.id for s in VoiceSession.select().where(VoiceSession.site.in_([a.id, b.id]))}
    assert left == {edge_a, new_b}
    assert not VoiceTurn.select().where(VoiceTurn.session.in_([old_a, old_b])).exists()
    assert retention.old_conversations(90, NOW) == 0  # twice: nothing more


def test_only_the_newest_crawl_runs_of_each_site_stay_and_a_running_one_never_goes(
    alice, charlie, make_site
):
    a, b = make_site(alice.tenant), make_site(charlie.tenant)
    running = crawl_run(a, NOW - 10 * HOUR, status="running")
    oldest = crawl_run(a, NOW - 5 * HOUR)
    kept_a = [crawl_run(a, NOW - 2 * HOUR), crawl_run(a, NOW - HOUR)]
    kept_b = [crawl_run(b, NOW - 9 * HOUR), crawl_run(b, NOW - 8 * HOUR)]
    retention.old_crawl_runs(keep=2)
    left = {r.id for r in CrawlRun.select().where(CrawlRun.site.in_([a.id, b.id]))}
    assert left == {running, *kept_a, *kept_b}
    assert not CrawlOutcome.select().where(CrawlOutcome.run == oldest).exists()


def test_expired_setup_links_go_and_live_ones_stay(alice, db):
    def link(expires: dt.datetime) -> int:
        token_hash = uuid.uuid4().hex
        return SetupLink.create(user=alice.user, token_hash=token_hash, expires_at=expires).id

    expired, live = link(NOW - SECOND), link(NOW + SECOND)
    retention.expired_setup_links(NOW)
    left = {s.id for s in SetupLink.select().where(SetupLink.id.in_([expired, live]))}
    assert left == {live}


def test_finished_jobs_beyond_the_retention_go_and_unfinished_ones_stay(db):
    cutoff = NOW - dt.timedelta(days=30)
    gone = [finished_job("succeeded", cutoff - SECOND), finished_job("dead", cutoff - SECOND)]
    kept = [
        finished_job("succeeded", cutoff),
        finished_job("failed", cutoff - SECOND),  # waiting for its retry
        finished_job("queued", None),
        finished_job("running", None),
    ]
    retention.finished_jobs(30, NOW)
    left = {j.id for j in Job.select().where(Job.id.in_(gone + kept))}
    assert left == set(kept)


def test_two_workers_pruning_at_once_delete_each_conversation_once(alice, make_site):
    site = make_site(alice.tenant)
    old = {conversation(site, CUTOFF - SECOND * (i + 1)) for i in range(20)}
    deleted: list[int] = []
    errors: list[BaseException] = []

    def prune() -> None:
        try:
            with database.connection_context():
                deleted.append(retention.old_conversations(90, NOW))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=prune) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert not VoiceSession.select().where(VoiceSession.id.in_(list(old))).exists()
    assert sum(deleted) >= len(old)  # between them, every one
