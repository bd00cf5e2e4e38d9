"""Building a candidate release from a finished crawl run (or any run that wrote pages and
chunks through ``sitespeak.crawl.store``, e.g. an upload), and the safety gate that decides
whether it publishes by itself or waits for review.

``build_candidate(site_id, run_id, settings, publish)`` is the one entry point: call it once the
run's chunks are embedded. It is idempotent per run (a retried job finds its release)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sitespeak import sites
from sitespeak.actions import catalog
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.events.bus import Publish
from sitespeak.knowledge.models import CrawlOutcome, CrawlRun
from sitespeak.releases import pausing, switch
from sitespeak.releases.models import PENDING, Release
from sitespeak.settings import Settings
from sitespeak.sites import voice_options

REVIEW_OPTION = "review_releases"  # sites.options key: hold every candidate for review
DIFF_LIST_CAP = 200  # URLs listed per kind of change; the counts are always whole


@dataclass(frozen=True)
class ChunkSet:
    """A set of chunks seen page by page: chunk ids and, per page URL, its texts' hashes."""

    ids: frozenset[int]
    pages: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, rows: Iterable[tuple[int, str, str]]) -> ChunkSet:
        ids, pages = set(), defaultdict(list)
        for chunk_id, url, text_hash in rows:
            ids.add(chunk_id)
            pages[url].append(text_hash)
        return cls(frozenset(ids), {url: tuple(sorted(h)) for url, h in pages.items()})


def current_chunks(site_id: int) -> ChunkSet:
    """What the crawls have left current: the content a new release would hold."""
    return ChunkSet.of(
        database.execute_sql(
            "SELECT id, url, text_hash FROM chunks WHERE site_id = %s AND NOT retired",
            (site_id,),
        ).fetchall()
    )


def release_chunks(release_id: int) -> ChunkSet:
    return ChunkSet.of(
        database.execute_sql(
            "SELECT c.id, c.url, c.text_hash FROM release_chunks rc "
            "JOIN chunks c ON c.id = rc.chunk_id WHERE rc.release_id = %s",
            (release_id,),
        ).fetchall()
    )


def diff_of(live: ChunkSet | None, candidate: ChunkSet, failed: list[dict]) -> dict:
    before = live.pages if live else {}
    after = candidate.pages
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(u for u in set(after) & set(before) if after[u] != before[u])
    return {
        "counts": {
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "failed": len(failed),
        },
        "added": added[:DIFF_LIST_CAP],
        "removed": removed[:DIFF_LIST_CAP],
        "changed": changed[:DIFF_LIST_CAP],
        "failed": failed[:DIFF_LIST_CAP],
    }


def failed_pages(run_id: int | None) -> list[dict]:
    if run_id is None:
        return []
    return [
        {"url": o.url, "reason": o.reason or "failed"}
        for o in CrawlOutcome.select(CrawlOutcome.url, CrawlOutcome.reason)
        .where(CrawlOutcome.run == run_id, CrawlOutcome.outcome == "failed")
        .order_by(CrawlOutcome.url)
    ]


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %"


def gate(
    live: ChunkSet | None,
    candidate: ChunkSet,
    totals: dict,
    *,
    max_loss: float,
    review_all: bool,
    paused: str | None = None,
) -> list[str]:
    """Why the candidate must wait for a person (empty: it may publish by itself)."""
    reasons = []
    if not candidate.ids:
        reasons.append("it holds no content: no page was indexed")
    if live and live.pages:
        lost = len(set(live.pages) - set(candidate.pages))
        if lost / len(live.pages) > max_loss:
            reasons.append(
                f"it loses {lost} of the live release's {len(live.pages)} pages "
                f"({_share(lost, len(live.pages))}; at most {round(100 * max_loss)} % may go)"
            )
    if live and live.ids:
        lost = max(len(live.ids) - len(candidate.ids), 0)
        if lost / len(live.ids) > max_loss:
            reasons.append(
                f"it has {lost} fewer chunks than the live release's {len(live.ids)} "
                f"({_share(lost, len(live.ids))}; at most {round(100 * max_loss)} % may go)"
            )
    failed = int(totals.get("failed", 0))
    tried = failed + sum(int(totals.get(k, 0)) for k in ("new", "changed", "unchanged"))
    if failed and failed * 2 > tried:
        reasons.append(f"{failed} of the {tried} pages it tried failed")
    if review_all:
        reasons.append("the site asks for a review of every release")
    if paused:
        reasons.append(paused)
    return reasons


def build_candidate(
    site_id: int,
    run_id: int | None,
    settings: Settings,
    publish: Publish,
    *,
    source: str = "crawl",
) -> Release | None:
    """The candidate release of a finished run: held for review when the gate says so,
    published now otherwise. None when the content is exactly the live release's (nothing to
    publish). Older candidates still waiting are discarded: the newest content supersedes them."""
    with database.atomic():
        site = Site.select().where(Site.id == site_id).for_update().get()
        if run_id is not None:
            done = Release.get_or_none(Release.crawl_run == run_id)
            if done is not None:
                return done
        candidate = current_chunks(site_id)
        live_release = Release.get_or_none(Release.id == site.live_release_id)
        live = release_chunks(live_release.id) if live_release else None
        if live is not None and live.ids == candidate.ids:
            return None
        run = CrawlRun.get_or_none(CrawlRun.id == run_id) if run_id is not None else None
        failed = failed_pages(run_id)
        reasons = gate(
            live,
            candidate,
            run.totals if run else {},
            max_loss=settings.release_max_loss,
            review_all=reviews_every_release(site),
            paused=pausing.reason(site),
        )
        for older in Release.select().where(Release.site == site_id, Release.state.in_(PENDING)):
            switch.drop(older, "discarded")
        release = Release.create(
            tenant=site.tenant_id,
            site=site_id,
            number=next_number(site_id),
            state="held" if reasons else "candidate",
            source=source,
            crawl_run=run_id,
            stats={
                "pages": len(candidate.pages),
                "chunks": len(candidate.ids),
                "failed": len(failed),
            },
            diff=diff_of(live, candidate, failed),
            held_because=reasons,
            # What a held candidate would offer (publishing takes them again, as they are
            # then); one published now takes them in the switch.
            actions=catalog.snapshot(site_id) if reasons else [],
            voice=voice_options.snapshot(site) if reasons else {},
        )
        if candidate.ids:
            database.execute_sql(
                "INSERT INTO release_chunks (release_id, chunk_id) SELECT %s, unnest(%s::bigint[])",
                (release.id, sorted(candidate.ids)),
            )
    if reasons:
        switch.announce_release(publish, release)
        return release
    done = switch.publish(
        site.tenant_id, site_id, release.number, switch.AUTOMATIC, settings, publish
    )
    release.state, release.published_at, release.published_by = (
        done.state,
        done.published_at,
        done.published_by,
    )
    return release


def set_review_every_release(tenant_id: int, site_id: int, on: bool) -> Site:
    """The site option that holds every candidate for review, whatever the gate finds."""
    with database.atomic():
        site = sites.get_site(tenant_id, site_id)
        site.options = {**(site.options or {}), REVIEW_OPTION: on}
        Site.update(options=site.options).where(Site.id == site.id).execute()
    return site


def resume_publishing(tenant_id: int, site_id: int) -> Site:
    """Let the safety gate publish by itself again after a rollback paused it."""
    with database.atomic():
        site = sites.get_site(tenant_id, site_id)
        Site.select().where(Site.id == site.id).for_update().get()
        pausing.resume(site.id)
    return sites.get_site(tenant_id, site_id)


def reviews_every_release(site: Site) -> bool:
    return bool((site.options or {}).get(REVIEW_OPTION))


def next_number(site_id: int) -> int:
    row = database.execute_sql(
        "SELECT coalesce(max(number), 0) + 1 FROM knowledge_releases WHERE site_id = %s",
        (site_id,),
    ).fetchone()
    return int(row[0])
