"""Rollback time (issue 15, part 1): how long switching a site's live release takes — the
transaction that moves the live pointer and bumps the knowledge version, plus the
``knowledge-base.updated`` event on real Redis — for a site of PAGES pages with CHUNKS_PER_PAGE
chunks each, two releases apart by a tenth of the pages. Goal: <= 100 ms to switch.

Interleaved with a baseline in the same process: the bare knowledge-version bump and event that
announced a crawl before releases existed. Also printed, apart: what each web process then does
off the switch path (reload the site's index of the new release), and the same with the
cache's spare, which swaps back the index of the release live before the last switch.

    python bench/releases.py [--pages 2000] [--chunks-per-page 10] [--runs 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import redis
from _stack import bench_services, percentile, settings_for

from sitespeak import sites
from sitespeak.crawl.store import retire_chunks
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.events.bus import Event, EventPublisher, EventType
from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.knowledge.embedders import LocalEmbedder
from sitespeak.knowledge.indexing import announce
from sitespeak.knowledge.site_index import load_site_index, site_version
from sitespeak.releases import switch
from sitespeak.releases.candidates import build_candidate
from sitespeak.settings import Settings
from sitespeak.tenancy.tenants import create_tenant
from sitespeak.web.dbpool import DbExecutor

DIM = LocalEmbedder.dim
CHUNKS_SQL = """
INSERT INTO chunks (tenant_id, site_id, page_id, ord, url, title, heading, text, text_hash,
                    embedding, embed_model)
SELECT p.tenant_id, p.site_id, p.id, o, p.url, 'Bench', 'Section ' || o,
       'bench text ' || md5(p.id::text || o::text || %(salt)s) || ' about bread and ovens',
       md5(p.id::text || o::text || %(salt)s),
       decode(repeat('0000803f', %(dim)s), 'hex'), %(model)s
FROM pages p CROSS JOIN generate_series(0, %(per)s - 1) o
WHERE p.site_id = %(site)s AND p.id = ANY(%(pages)s)
"""


def fill(site: Site, pages: int, per_page: int, salt: str, page_ids: list[int] | None) -> list[int]:
    """The site's pages (made once) and a fresh chunk set for ``page_ids`` (all by default)."""
    if page_ids is None:
        database.execute_sql(
            "INSERT INTO pages (tenant_id, site_id, url) SELECT %s, %s, "
            "'https://bench.example/p/' || n FROM generate_series(1, %s) n",
            (site.tenant_id, site.id, pages),
        )
        page_ids = [
            r[0]
            for r in database.execute_sql(
                "SELECT id FROM pages WHERE site_id = %s ORDER BY id", (site.id,)
            )
        ]
    else:
        retire_chunks(page_ids)
    database.execute_sql(
        CHUNKS_SQL,
        {
            "salt": salt,
            "dim": DIM,
            "model": LocalEmbedder.name,
            "per": per_page,
            "site": site.id,
            "pages": page_ids,
        },
    )
    return page_ids


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def summary(label: str, values: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms "
        f"over {len(values)}"
    )


async def cache_swaps(
    tenant_id: int, site_id: int, numbers: tuple[int, int], settings: Settings, events, runs: int
) -> list[float]:
    """A web process's cache after each rollback: the time from the event to the index of the
    release now live, once both releases have been loaded (the spare is then swapped back)."""
    pool = DbExecutor(database.obj, 2)
    cache = KnowledgeCache(pool.run, LocalEmbedder, check_every=3600)
    await cache.index(site_id)
    times = []
    for n in range(runs + 2):
        number = numbers[n % 2]
        await asyncio.to_thread(
            switch.rollback, tenant_id, site_id, number, "bench", settings, events
        )
        version = await pool.run(site_version, site_id)
        data = {"site_id": site_id, "version": version}
        event = Event(EventType.KNOWLEDGE_UPDATED, tenant_id, data, time.time())
        start = time.perf_counter()
        await cache.on_event(event)
        if n >= 2:  # the first two load each release once
            times.append((time.perf_counter() - start) * 1000)
    cache.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--chunks-per-page", type=int, default=10)
    parser.add_argument("--runs", type=int, default=60)
    opts = parser.parse_args()
    with bench_services() as (found, state):
        settings = settings_for(found, state)
        events = EventPublisher(redis.Redis.from_url(found.redis_url), found.redis_prefix).publish
        with database.connection_context():
            tenant, _ = create_tenant("bench")
            site = sites.create_site(tenant.id, "bench", ["https://bench.example/"])
            start = time.perf_counter()
            with database.atomic():
                page_ids = fill(site, opts.pages, opts.chunks_per_page, "a", None)
            first = build_candidate(site.id, None, settings, events)
            with database.atomic():
                fill(site, opts.pages, opts.chunks_per_page, "b", page_ids[: opts.pages // 10])
            second = build_candidate(site.id, None, settings, events)
            assert first and second and second.state == "live", (first, second)
            database.execute_sql("ANALYZE chunks; ANALYZE release_chunks")
            chunks = opts.pages * opts.chunks_per_page
            print(
                f"site: {opts.pages} pages, {chunks} chunks per release, releases "
                f"{first.number} and {second.number} ({second.diff['counts']['changed']} pages "
                f"changed); built in {time.perf_counter() - start:.1f} s"
            )

            def bump() -> None:  # the baseline: how a crawl announced new knowledge before
                Site.update(knowledge_version=Site.knowledge_version + 1).where(
                    Site.id == site.id
                ).execute()
                announce(events, site)

            rollback, baseline, reload = [], [], []
            target = first.number
            t = time.perf_counter()
            for _ in range(opts.runs):  # A/B interleaved
                rollback.append(
                    timed(switch.rollback, tenant.id, site.id, target, "bench", settings, events)
                )
                baseline.append(timed(bump))
                target = second.number if target == first.number else first.number
            for _ in range(max(opts.runs // 4, 3)):  # apart: it reads every vector of the site
                reload.append(timed(load_site_index, site.id, LocalEmbedder.name, DIM))
            print(summary("rollback (switch + event)", rollback))
            print(summary("baseline: knowledge-version bump + event", baseline))
            ratio = statistics.median(rollback) / statistics.median(baseline)
            print(f"ratio rollback / baseline (medians): {ratio:.2f}")
            print(summary("then, per web process: index reload of the new release", reload))
            swaps = asyncio.run(
                cache_swaps(
                    tenant.id,
                    site.id,
                    # The release not live now first: an odd --runs left the first one live.
                    (target, first.number + second.number - target),
                    settings,
                    events,
                    max(opts.runs // 4, 4),
                )
            )
            print(summary("  with the cache's spare (back to the release live before)", swaps))
            goal = "met" if percentile(rollback, 95) <= 100 else "NOT met"
            print(f"goal <= 100 ms to switch (p95): {goal}")
            with open("/proc/loadavg") as f:
                loadavg = f.read().strip()
            print(
                f"(measured in {time.perf_counter() - t:.1f} s; /proc/loadavg {loadavg}; "
                f"{os.cpu_count()} CPUs)"
            )


if __name__ == "__main__":
    main()
