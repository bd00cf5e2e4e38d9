"""A worker killed with SIGKILL in the middle of a crawl: the ledger re-queues the job once its
heartbeat goes stale, the next worker resumes the run, and no page is lost or doubled."""

from __future__ import annotations

import signal

import pytest
import redis
from peewee import fn

from sitespeak.assembly import job_registry
from sitespeak.crawl.refresh import request_crawl
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.knowledge.models import Chunk, CrawlOutcome, CrawlRun, Page
from tests.conftest import own_queues
from tests.knowledge.testsite import LoopbackSite
from tests.support.processes import start_worker, wait_for

pytestmark = pytest.mark.slow
EXTRA = 40


def _recorded(run_id: int) -> int:
    return CrawlOutcome.select().where(CrawlOutcome.run == run_id).count()


@pytest.fixture()
def own(settings, base_env):
    """Queues of its own: the embedding the finished crawl submits must not wait in the run's
    shared queues for a later test's worker to pick up."""
    env = own_queues(base_env)
    mine = settings.model_copy(update={"redis_prefix": env["SITESPEAK_REDIS_PREFIX"]})
    queues.bind(mine)
    yield mine, env
    queues.bind(settings)


def test_a_crawl_finishes_after_its_worker_is_killed_with_no_page_lost_or_doubled(
    alice, make_site, own, tmp_path, db
):
    settings, own_env = own
    with LoopbackSite(delay=0.1, extra_pages=EXTRA) as slow:
        # Requests after the first 16 (robots.txt and sitemaps among them) are held until the
        # worker is killed: the kill lands mid-crawl however fast the box is.
        slow.hold_after = 16
        site = make_site(alice.tenant, slow.url)
        env = {
            **own_env,
            "SITESPEAK_WORKER_QUEUES": "crawler",
            "SITESPEAK_CRAWL_CONCURRENCY": "2",
            "SITESPEAK_CRAWL_MAX_BYTES": "1048576",
        }
        first = start_worker(env, tmp_path, "first")
        jobs = JobQueue(
            job_registry(),
            EventPublisher(redis.Redis.from_url(settings.redis_url), settings.redis_prefix),
        )
        job, _ = request_crawl(jobs, alice.tenant.id, site.id)
        run = wait_for(
            lambda: CrawlRun.get_or_none(CrawlRun.job_id == job.id),
            60,
            0.1,
            "the crawl run to start",
        )
        wait_for(lambda: _recorded(run.id) >= 10, 60, 0.1, "some pages to be recorded")
        wait_for(lambda: len(slow.requests) > slow.hold_after, 60, 0.05, "a page held")
        first.stop(signal.SIGKILL)
        slow.released.set()
        at_kill = _recorded(run.id)
        assert at_kill < EXTRA  # killed mid-crawl, not after it
        second = start_worker(env, tmp_path, "second")
        try:
            final = wait_for(
                lambda: (j := Job.get_by_id(job.id)).status in ("succeeded", "dead") and j,
                120,
                0.3,
                "the crawl to finish on the second worker",
            )
        finally:
            second.stop()
    assert final.status == "succeeded" and final.attempts == 2, final.last_error
    outcomes = dict(
        CrawlOutcome.select(CrawlOutcome.url, CrawlOutcome.outcome)
        .where(CrawlOutcome.run == run.id)
        .tuples()
    )
    expected = {f"{slow.url}/extra/{i}" for i in range(EXTRA)}
    expected |= {
        slow.url + p for p in ("/", "/hours", "/faq", "/contact", "/about", "/team", "/menu")
    }
    assert {u for u, o in outcomes.items() if o == "new"} == expected
    # Resumed, not restarted: only the pages in flight at the kill were fetched twice.
    refetched = [u for u in expected if slow.fetched(u[len(slow.url) :]) > 1]
    assert len(refetched) <= 2, refetched
    assert CrawlRun.select().where(CrawlRun.site == site.id).count() == 1
    assert Page.select().where(Page.site == site.id, Page.status == "ok").count() == len(expected)
    doubled = (
        Chunk.select(Chunk.page, Chunk.text_hash, fn.COUNT(Chunk.id))
        .where(Chunk.site == site.id)
        .group_by(Chunk.page, Chunk.text_hash)
        .having(fn.COUNT(Chunk.id) > 1)
    )
    assert list(doubled.tuples()) == []
    assert Chunk.select().where(Chunk.site == site.id).count() >= len(expected)
