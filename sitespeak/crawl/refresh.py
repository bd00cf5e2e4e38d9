"""Keeping a site's knowledge fresh: requesting a crawl (one open crawl per site), what the
``crawl.site`` job and ``sitespeak crawl`` run, and the recrawl schedule. The knowledge base's
part (embedding, the ``knowledge-base.updated`` announcement) is ``sitespeak.knowledge``'s."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from peewee import SQL

from sitespeak.crawl.jobs import CRAWL
from sitespeak.crawl.run import crawl_site
from sitespeak.db.connection import database
from sitespeak.db.models import Job, Site, utcnow
from sitespeak.events.bus import Publish
from sitespeak.jobs.context import JobContext, Submitter
from sitespeak.jobs.ledger import OPEN
from sitespeak.knowledge.embedders import LocalEmbedder, embedder_for
from sitespeak.knowledge.indexing import announce, embed_site, pending_count
from sitespeak.knowledge.jobs import submit_candidate
from sitespeak.releases.candidates import build_candidate
from sitespeak.releases.views import release_summary
from sitespeak.settings import Settings

log = logging.getLogger(__name__)
EMBED = "knowledge.embed"
INTERVALS = {
    "hourly": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
    "weekly": dt.timedelta(weeks=1),
}


def open_crawl(site_id: int) -> Job | None:
    return (
        Job.select()
        .where(
            Job.name == CRAWL,
            Job.status.in_(OPEN),
            SQL("(args->>'site_id')::bigint = %s", (site_id,)),
        )
        .order_by(Job.created_at)
        .first()
    )


def request_crawl(
    jobs: Submitter,
    tenant_id: int,
    site_id: int,
    *,
    by_person: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Job, bool]:
    """The site's open crawl job, or a new one, enqueued only once its row is committed (so the
    worker finds the row it is handed). The caller has checked the site is the tenant's.

    A site's first crawl asked for by a person (the admin UI, the API, the CLI) goes on the
    critical queue: its owner is watching it, and it must not wait behind scheduled recrawls
    of other sites on the crawler queue. With ``idempotency_key`` (the schedule's slot), a key
    used before returns that job, created or not: one crawl per site and slot, however many
    passes of the schedule there are."""
    with database.atomic():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (0x5173, site_id))
        running = open_crawl(site_id)
        if running is not None:
            return running, False
        first = Site.select().where(Site.id == site_id, Site.last_crawl_at.is_null()).exists()
        queue = "critical" if by_person and first else "crawler"
        job, created = jobs.record(
            tenant_id, CRAWL, {"site_id": site_id}, queue=queue, idempotency_key=idempotency_key
        )
    if created:
        jobs.enqueue_new(job)
    return job, created


def crawl_job(ctx: JobContext, site: Site) -> dict[str, Any]:
    """The ``crawl.site`` job: the crawl, then an embedding job if anything needs embedding,
    which builds the run's candidate release when it is done (or that job at once). It stops
    between pages when its worker stops, and resumes from its checkpoint."""
    totals = crawl_site(
        site,
        ctx.settings,
        job_id=ctx.job_id,
        progress=ctx.progress,
        stopping=ctx.stopping,
        resume=ctx.resume,
    )
    announce(ctx.publish, site)
    # The class's name: loading the model (onnxruntime) to learn it cost the crawler ~195 MB.
    embedder_name = LocalEmbedder.name if ctx.settings.embedder == "local" else None
    if embedder_name is None or pending_count(site.id, embedder_name):
        job = ctx.submit(
            EMBED,
            {"site_id": site.id, "run_id": totals["run_id"]},
            queue="critical" if ctx.queue == "critical" else "ai",  # still a person waiting
            idempotency_key=f"embed:{site.id}:{totals['run_id']}",
        )
        totals["embed_job"] = str(job.id)
    else:
        totals["candidate_job"] = str(submit_candidate(ctx, site.id, totals["run_id"]).id)
    return totals


def crawl_foreground(
    site: Site, settings: Settings, publish: Publish, progress: Callable[..., None] | None = None
) -> dict[str, Any]:
    """What ``sitespeak crawl SITE`` runs: the crawl and its embeddings, the event, then the
    run's candidate release (published unless the safety gate holds it)."""
    totals = crawl_site(site, settings, progress=progress)
    totals["embedding"] = embed_site(
        site.id, embedder_for(settings), settings.embed_batch_size, progress
    )
    announce(publish, site)
    release = build_candidate(site.id, totals["run_id"], settings, publish)
    totals["release"] = release_summary(release)
    return totals


def due_sites(now: dt.datetime | None = None) -> list[Site]:
    now = now or utcnow()
    due = []
    for site in Site.select().where(Site.schedule != "never"):
        interval = INTERVALS.get(site.schedule)
        if interval and (site.last_crawl_at is None or site.last_crawl_at + interval <= now):
            due.append(site)
    return due


def slot_of(site: Site, now: dt.datetime) -> str:
    """The schedule's period ``now`` falls in for this site (the hour, day or week since the
    epoch): the idempotency key of its scheduled crawl."""
    interval = INTERVALS[site.schedule].total_seconds()
    return f"recrawl:{site.id}:{site.schedule}:{int(now.timestamp() // interval)}"


def schedule_due(jobs: Submitter, now: dt.datetime | None = None) -> list[str]:
    """One pass of the recrawl schedule: a crawl for every due site without an open one, at
    most one per site and slot (a second pass in the same slot, on this worker or another,
    finds the key taken)."""
    now = now or utcnow()
    started = []
    for site in due_sites(now):
        job, created = request_crawl(
            jobs, site.tenant_id, site.id, idempotency_key=slot_of(site, now)
        )
        if created:
            started.append(str(job.id))
    return started
