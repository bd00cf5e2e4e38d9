"""The whole chain on a real worker: an upload's ``hosting.publish`` job builds and switches,
then ``hosting.ingest`` indexes the live release (and its embedding follows) and
``hosting.purge`` calls the hook, retried with backoff while the hook fails."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid

import pytest
import redis

from sitespeak.assembly import job_registry
from sitespeak.db.models import Job
from sitespeak.events.bus import Event, EventPublisher, EventType
from sitespeak.hosting import intake, layout, publish, purge
from sitespeak.hosting.jobs import INGEST, PUBLISH, PURGE, ROLLBACK
from sitespeak.hosting.knowledge import ingest_job
from sitespeak.hosting.models import HostedRelease, HostedSite
from sitespeak.jobs import queues
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.tasks import JobQueue
from sitespeak.knowledge.embedders import LocalEmbedder
from sitespeak.knowledge.indexing import announce, embed_site
from sitespeak.knowledge.models import Chunk
from tests.hosting.conftest import DOMAIN, write_site, zip_folder
from tests.knowledge.test_cache import _cache
from tests.releases.conftest import Events
from tests.support.processes import start_worker, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture()
def worker_env(queue_env, host_settings):
    return {
        **queue_env,
        "SITESPEAK_STATE_DIR": str(host_settings.state_dir),
        "SITESPEAK_HOSTED_SITES_DOMAIN": DOMAIN,
        "SITESPEAK_PUBLIC_URL": host_settings.public_url,
        "SITESPEAK_WORKER_QUEUES": "critical",
    }


@pytest.fixture()
def jobs(settings, worker_env) -> JobQueue:
    prefix = worker_env["SITESPEAK_REDIS_PREFIX"]
    queues.bind(settings.model_copy(update={"redis_prefix": prefix}))
    client = redis.Redis.from_url(settings.redis_url)
    return JobQueue(job_registry(), EventPublisher(client, prefix))


def finished(job_id) -> Job | None:
    job = Job.get_by_id(job_id)
    return job if job.status in ("succeeded", "dead") else None


def follow_ups(site_id: int, name: str) -> list[Job]:
    return [
        j
        for j in Job.select().where(Job.name == name).order_by(Job.created_at)
        if j.args.get("site_id") == site_id
    ]


def test_a_published_upload_is_indexed_and_purged_with_retries(
    worker_env, jobs, host_settings, private_site, purge_receiver, tmp_path
):
    site, hosted = private_site
    purge.set_hooks(hosted, [purge_receiver.url])
    purge_receiver.statuses = [500]  # the CDN fails once
    archive = zip_folder(write_site(tmp_path / "src", extra_pages=2), tmp_path / "site.zip")
    release = publish.record_release(hosted, archive, intake.kind_of(archive), "alice")
    job, _ = jobs.submit(
        hosted.tenant_id, PUBLISH, {"site_id": site.id, "release": release.number}, queue="critical"
    )
    worker = start_worker(worker_env, tmp_path)
    try:
        done = wait_for(lambda: finished(job.id), timeout=120, what="the publish job")
        assert done.status == "succeeded", done.last_error
        ingest = wait_for(lambda: follow_ups(site.id, INGEST), what="the ingest job")[0]
        ingested = wait_for(lambda: finished(ingest.id), timeout=120, what="indexing")
        assert ingested.status == "succeeded", ingested.last_error
        embed = Job.get_by_id(ingested.result["embed_job"])
        assert embed.queue == "critical"
        [hook_job] = follow_ups(site.id, PURGE)
        hooked = wait_for(lambda: finished(hook_job.id), timeout=60, what="the purge job")
    finally:
        worker.stop()

    assert HostedRelease.get_by_id(release.id).state == "live"
    assert Chunk.select().where(Chunk.site == site.id).count() > 0
    assert hooked.status == "succeeded" and hooked.attempts == 2, hooked.last_error
    assert len(purge_receiver.received) == 2  # the failure, then the retry
    headers, body = purge_receiver.received[-1]
    secret = HostedSite.get_by_id(hosted.site_id).secret
    assert headers["X-SiteSpeak-Signature"] == (
        "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    )
    live = layout.live_release(host_settings.state_dir, f"{hosted.label}.{DOMAIN}")
    manifest = layout.Manifest.from_json((live / layout.MANIFEST).read_text())
    assert json.loads(body)["paths"] == sorted(manifest.files)  # a first release: everything
    result = HostedSite.get_by_id(hosted.site_id).hook_results[purge_receiver.url]
    assert result["ok"] and result["attempt"] == 2


def test_a_rollback_job_switches_back_and_reindexes(
    worker_env, jobs, host_settings, private_site, tmp_path
):
    site, hosted = private_site
    for title in ("First bakery", "Second bakery"):
        source = write_site(tmp_path / title, title=title)
        made = publish.record_release(hosted, source, "folder", "alice")
        publish.publish_release(host_settings, hosted.tenant_id, site.id, made.number)
    job, _ = jobs.submit(
        hosted.tenant_id, ROLLBACK, {"site_id": site.id, "release": 1}, queue="critical"
    )
    worker = start_worker(worker_env, tmp_path)
    try:
        done = wait_for(lambda: finished(job.id), timeout=120, what="the rollback job")
        ingest = wait_for(lambda: follow_ups(site.id, INGEST), what="the ingest job")[0]
        wait_for(lambda: finished(ingest.id), timeout=120, what="indexing")
    finally:
        worker.stop()

    assert done.status == "succeeded", done.last_error
    live = layout.live_release(host_settings.state_dir, f"{hosted.label}.{DOMAIN}")
    assert live is not None and live.name == "1"
    titles = {c.title for c in Chunk.select().where(Chunk.site == site.id)}
    assert "First bakery" in titles and "Second bakery" not in titles


async def test_an_uploads_knowledge_is_live_by_its_words_before_its_vectors_and_by_meaning_after(
    jobs, host_settings, private_site, tmp_path
):
    site, hosted = private_site
    made = publish.record_release(
        hosted, write_site(tmp_path / "src", extra_pages=2), "folder", "t"
    )
    publish.publish_release(host_settings, hosted.tenant_id, site.id, made.number)
    events = Events()
    ctx = JobContext(uuid.uuid4(), hosted.tenant_id, "critical", 1, host_settings, events, jobs)

    done = await asyncio.to_thread(ingest_job, ctx, hosted, made.number)

    # Live before any vector: the embedding is only queued (no worker runs here), and the
    # release's passages are found by their words.
    assert done["knowledge_release"]["state"] == "live"
    [embed] = follow_ups(site.id, "knowledge.embed")
    assert embed.args["run_id"] is None  # the vectors follow; no second release after them
    cache, _ = await _cache(check_every=3600)
    before = await cache.index(site.id)
    assert not before.complete and len(before.vectors) == 0
    found = await cache.search(site.id, "what time do you open", 1)
    assert "open at seven" in found[0].text

    # The embedding's announcement brings every vector in, under the same release.
    await asyncio.to_thread(embed_site, site.id, LocalEmbedder())
    announce(events, site)
    update = events.of(EventType.KNOWLEDGE_UPDATED)[-1]
    await cache.on_event(Event(EventType.KNOWLEDGE_UPDATED, None, update, 0.0))
    after = await cache.index(site.id)
    assert after.complete and after.release_id == before.release_id
    assert len(after.vectors) == Chunk.select().where(Chunk.site == site.id).count() > 0
    cache.close()
