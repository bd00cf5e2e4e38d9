"""A worker told to stop (SIGTERM, as honcho and systemd do) in the middle of a crawl or of an
embedding: it finishes the page or batch in flight, keeps how far the job got as its checkpoint,
exits 0 without waiting for the rest, and the next worker resumes without redoing any of it."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest
import redis

from sitespeak.assembly import job_registry
from sitespeak.crawl.refresh import request_crawl
from sitespeak.crawl.run import crawl_site
from sitespeak.db.models import Job, Site
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.knowledge.models import Chunk, CrawlOutcome, CrawlRun
from tests.conftest import own_queues
from tests.knowledge.testsite import LoopbackSite
from tests.support.fake_openai import serve_fake_openai
from tests.support.processes import Proc, start_worker, wait_for

pytestmark = pytest.mark.slow
EXTRA = 60
PAGES = ("/", "/hours", "/faq", "/contact", "/about", "/team", "/menu")


def _jobs(env: dict, settings) -> JobQueue:
    queues.bind(settings.model_copy(update={"redis_prefix": env["SITESPEAK_REDIS_PREFIX"]}))
    publisher = EventPublisher(
        redis.Redis.from_url(settings.redis_url), env["SITESPEAK_REDIS_PREFIX"]
    )
    return JobQueue(job_registry(), publisher)


def _finished(job_id) -> Job | None:
    job = Job.get_by_id(job_id)
    return job if job.status in ("succeeded", "dead") else None


def _stop(worker: Proc, held: threading.Event) -> None:
    """SIGTERM while its job waits on a held request; once the worker says it is stopping the
    request is ``held`` no more, and the worker exits 0 long before its job would have ended."""
    worker.popen.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping: letting" in worker.output(), 60, 0.05, "the stop")
    held.set()
    assert worker.popen.wait(30) == 0, worker.output()


def test_a_worker_stopped_mid_crawl_exits_and_another_finishes_fetching_no_page_twice(
    alice, make_site, settings, base_env, tmp_path: Path, db
):
    env = {
        **own_queues(base_env),
        "SITESPEAK_WORKER_QUEUES": "crawler",
        "SITESPEAK_CRAWL_CONCURRENCY": "2",
        "SITESPEAK_CRAWL_MAX_BYTES": "1048576",
    }
    jobs = _jobs(env, settings)
    with LoopbackSite(delay=0.2, extra_pages=EXTRA) as slow:
        # Requests after the first 16 (robots.txt and sitemaps among them) are held until the
        # worker has been told to stop: the stop lands mid-crawl however fast the box is.
        slow.hold_after = 16
        site = make_site(alice.tenant, slow.url)
        first = start_worker(env, tmp_path, "first")
        second = None
        try:
            job, _ = request_crawl(jobs, alice.tenant.id, site.id)
            run = wait_for(
                lambda: CrawlRun.get_or_none(CrawlRun.job_id == job.id), 60, 0.1, "the crawl run"
            )
            wait_for(
                lambda: CrawlOutcome.select().where(CrawlOutcome.run == run.id).count() >= 10,
                60,
                0.1,
                "some pages to be recorded",
            )
            wait_for(lambda: len(slow.requests) > slow.hold_after, 60, 0.05, "a page held")
            _stop(first, slow.released)  # the pages in flight are finished, then it stops
            stopped = Job.get_by_id(job.id)
            assert stopped.status == "queued", stopped.last_error
            assert stopped.attempts == 0  # an interruption is not a failed attempt
            assert stopped.checkpoint["run_id"] == run.id
            assert stopped.checkpoint["queue"]  # stopped mid-crawl, not after it
            at_stop = len(slow.requests)

            second = start_worker(env, tmp_path, "second")
            final = wait_for(lambda: _finished(job.id), 120, 0.3, "the resumed crawl")
        finally:
            for proc in (second, first):
                if proc is not None:
                    proc.stop()
        assert final.status == "succeeded" and final.attempts == 1, final.last_error
        assert final.checkpoint is None
        assert len(slow.requests) > at_stop  # the second worker did the rest
        expected = {f"{slow.url}/extra/{i}" for i in range(EXTRA)} | {slow.url + p for p in PAGES}
        outcomes = dict(
            CrawlOutcome.select(CrawlOutcome.url, CrawlOutcome.outcome)
            .where(CrawlOutcome.run == run.id)
            .tuples()
        )
        assert {u for u, o in outcomes.items() if o == "new"} == expected
        assert CrawlRun.select().where(CrawlRun.site == site.id).count() == 1
        # The pages in flight at the stop were finished, not dropped: no page was fetched twice,
        # not even those the crawl visits without recording (a canonical elsewhere, a redirect).
        fetched_twice = {
            path
            for path in set(slow.requests)
            if slow.fetched(path) > 1 and path not in ("/robots.txt",) and "sitemap" not in path
        }
        assert fetched_twice == set(), "\n".join(map(str, [at_stop, *slow.requests]))


def _inputs(fake) -> list[str]:
    return [text for r in fake.of("/embeddings") for text in r["body"]["input"]]


def test_a_worker_stopped_mid_embedding_exits_and_another_embeds_only_the_rest(
    alice, make_site, kb_settings, settings, base_env, tmp_path: Path, db
):
    with LoopbackSite(extra_pages=EXTRA) as site_server:
        site = make_site(alice.tenant, site_server.url)
        crawl_site(site, kb_settings)
    chunks = Chunk.select().where(Chunk.site == site.id).count()
    version = Site.get_by_id(site.id).knowledge_version
    with serve_fake_openai() as fake:
        fake.delay = 0.2  # per batch of two: the embedding takes seconds
        env = {
            **own_queues(base_env),
            "SITESPEAK_WORKER_QUEUES": "ai",
            "SITESPEAK_EMBEDDER": "openai",
            "SITESPEAK_EMBED_OPENAI_BASE_URL": fake.url,
            "SITESPEAK_EMBED_BATCH_SIZE": "2",
        }
        jobs = _jobs(env, settings)
        first = start_worker(env, tmp_path, "first")
        second = None
        try:
            # The fourth batch is held until the worker has been told to stop: the stop lands
            # mid-embedding however fast (or slow, to see three batches) the box is.
            fake.hold_after = 3
            job, _ = jobs.submit(alice.tenant.id, "knowledge.embed", {"site_id": site.id})
            wait_for(lambda: len(fake.of("/embeddings")) >= 4, 60, 0.05, "a batch held")
            _stop(first, fake.released)
            stopped = Job.get_by_id(job.id)
            assert stopped.status == "queued", stopped.last_error
            assert stopped.attempts == 0
            embedded = stopped.checkpoint["embedded"]
            assert embedded == len(_inputs(fake))  # the batch in flight was finished and kept
            assert 6 <= embedded < chunks
            assert (
                Chunk.select().where(Chunk.site == site.id, Chunk.embedding.is_null(False)).count()
                == embedded
            )

            second = start_worker(env, tmp_path, "second")
            final = wait_for(lambda: _finished(job.id), 120, 0.3, "the resumed embedding")
        finally:
            for proc in (second, first):
                if proc is not None:
                    proc.stop()
    assert final.status == "succeeded", final.last_error
    assert final.result["embedded"] == chunks
    # Every chunk has its vector and as many texts were sent as there are chunks: none was
    # embedded twice over both runs.
    assert len(_inputs(fake)) == chunks
    assert Chunk.select().where(Chunk.site == site.id, Chunk.embedding.is_null()).count() == 0
    assert Site.get_by_id(site.id).knowledge_version == version + 1
