"""Keeping a site's knowledge fresh: requesting a crawl (one open crawl per site), the crawl and
embedding steps the worker jobs and the CLI run, the recrawl schedule, and the
``knowledge-base.updated`` event every web process refreshes its cache on."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from peewee import SQL

from sitespeak.crawl.run import crawl_site
from sitespeak.db.connection import database
from sitespeak.db.models import Job, Site, utcnow
from sitespeak.jobs import ledger, tasks
from sitespeak.knowledge.embedders import embedder_for
from sitespeak.knowledge.indexing import embed_site, pending_count
from sitespeak.settings import Settings
from sitespeak.sites import site_by_id

log = logging.getLogger(__name__)
UPDATED = "knowledge-base.updated"
CRAWL, EMBED = "crawl.site", "knowledge.embed"
INTERVALS = {
    "hourly": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
    "weekly": dt.timedelta(weeks=1),
}
Publish = Callable[[str, int | None, dict[str, Any]], None]


class _Publisher:
    """The publisher shape ``tasks.submit`` wants, around a job context's publish function."""

    def __init__(self, publish: Publish) -> None:
        self.publish = publish


def announce(publish: Publish, site: Site) -> None:
    version = Site.get_by_id(site.id).knowledge_version
    publish(UPDATED, site.tenant_id, {"site_id": site.id, "version": version})


def open_crawl(site_id: int) -> Job | None:
    return (
        Job.select()
        .where(
            Job.name == CRAWL,
            Job.status.in_(ledger.OPEN),
            SQL("(args->>'site_id')::bigint = %s", (site_id,)),
        )
        .order_by(Job.created_at)
        .first()
    )


def claim_crawl(tenant_id: int, site_id: int) -> tuple[Job, bool]:
    """The site's open crawl job, or a new one (not yet enqueued: call ``enqueue_new`` after
    this transaction commits, so the worker can see the row it is handed)."""
    with database.atomic():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (0x5173, site_id))
        running = open_crawl(site_id)
        if running is not None:
            return running, False
        return ledger.create(tenant_id, CRAWL, {"site_id": site_id})[0], True


def enqueue_new(publish: Publish, job: Job) -> None:
    tasks.enqueue(job)
    publish("job.updated", job.tenant_id, ledger.view(job))


def crawl_job(site_id: int, ctx) -> dict[str, Any]:
    site = site_by_id(site_id)
    totals = crawl_site(site, ctx.settings, job_id=ctx.job_id, progress=ctx.progress)
    announce(ctx.publish, site)
    embedder_name = embedder_for(ctx.settings).name if ctx.settings.embedder == "local" else None
    if embedder_name is None or pending_count(site.id, embedder_name):
        job, _ = tasks.submit(
            _Publisher(ctx.publish),
            site.tenant_id,
            EMBED,
            {"site_id": site.id},
            queue="ai",
            idempotency_key=f"embed:{site.id}:{totals['run_id']}",
        )
        totals["embed_job"] = str(job.id)
    return totals


def embed_job(site_id: int, ctx) -> dict[str, Any]:
    site = site_by_id(site_id)
    settings: Settings = ctx.settings
    result = embed_site(site.id, embedder_for(settings), settings.embed_batch_size, ctx.progress)
    announce(ctx.publish, site)
    return result


def crawl_foreground(
    site: Site, settings: Settings, publish: Publish, progress: Callable[..., None] | None = None
) -> dict[str, Any]:
    """What ``sitespeak crawl SITE`` runs: the crawl and its embeddings, then the event."""
    totals = crawl_site(site, settings, progress=progress)
    totals["embedding"] = embed_site(
        site.id, embedder_for(settings), settings.embed_batch_size, progress
    )
    announce(publish, site)
    return totals


def due_sites(now: dt.datetime | None = None) -> list[Site]:
    now = now or utcnow()
    due = []
    for site in Site.select().where(Site.schedule != "never"):
        interval = INTERVALS.get(site.schedule)
        if interval and (site.last_crawl_at is None or site.last_crawl_at + interval <= now):
            due.append(site)
    return due


def schedule_due(publish: Publish) -> list[str]:
    """One pass of the recrawl schedule: a crawl for every due site without an open one."""
    started = []
    for site in due_sites():
        job, created = claim_crawl(site.tenant_id, site.id)
        if created:
            enqueue_new(publish, job)
            started.append(str(job.id))
    return started
