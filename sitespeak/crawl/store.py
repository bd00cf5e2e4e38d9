"""Writing crawl results: one transaction per page (page row, its chunks, its outcome), so a
worker killed at any moment leaves each page either fully recorded or not at all; new pages read
from a hosted release's files are written many a transaction (``record_new_pages``)."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from peewee import fn

from sitespeak.crawl import boilerplate
from sitespeak.crawl.diagnosis import explain, failure_summary
from sitespeak.crawl.framing import frame_policy
from sitespeak.db.connection import database
from sitespeak.db.models import Site, utcnow
from sitespeak.knowledge.chunking import ChunkDraft
from sitespeak.knowledge.extract import PageContent
from sitespeak.knowledge.models import Chunk, CrawlOutcome, CrawlRun, Page

OUTCOMES = ("new", "changed", "unchanged", "removed", "failed")


@dataclass(frozen=True)
class Known:
    """What a previous crawl left of a page: enough for a conditional GET and a hash check."""

    id: int
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    status: str
    depth: int
    links: list
    redirects: list


def start_run(site: Site, job_id: uuid.UUID | None) -> tuple[CrawlRun, dict[str, str]]:
    """The run of this job (resumed after a lost worker) and the URLs it already recorded."""
    with database.atomic():
        run = CrawlRun.get_or_none(CrawlRun.job_id == job_id) if job_id else None
        if run is None:
            run = CrawlRun.create(tenant=site.tenant_id, site=site.id, job_id=job_id)
        elif run.status != "running":
            CrawlRun.update(status="running", finished_at=None, error=None).where(
                CrawlRun.id == run.id
            ).execute()
    done: dict[str, str] = dict(
        cast(
            Iterable[tuple[str, str]],
            CrawlOutcome.select(CrawlOutcome.url, CrawlOutcome.outcome)
            .where(CrawlOutcome.run == run.id)
            .tuples(),
        )
    )
    return run, done


def known_pages(site_id: int) -> dict[str, Known]:
    rows = Page.select(
        Page.id,
        Page.url,
        Page.etag,
        Page.last_modified,
        Page.content_hash,
        Page.status,
        Page.depth,
        Page.links,
        Page.redirects,
    ).where(Page.site == site_id)
    return {
        p.url: Known(
            p.id, p.etag, p.last_modified, p.content_hash, p.status, p.depth, p.links, p.redirects
        )
        for p in rows
    }


def content_hash(content: PageContent) -> str:
    return hashlib.sha256(content.normalised_text().encode()).hexdigest()


class page_transaction:  # noqa: N801 - used like database.atomic()
    """Per-page writes skip the WAL flush wait (about 4 ms a commit here): a page lost to a
    PostgreSQL crash is simply fetched again by the next crawl; each page stays atomic."""

    def __enter__(self):
        self._txn = database.atomic()
        self._txn.__enter__()
        database.execute_sql("SET LOCAL synchronous_commit = off")
        return self._txn

    def __exit__(self, *exc):
        return self._txn.__exit__(*exc)


def _outcome(
    run_id: int,
    url: str,
    outcome: str,
    reason: str | None,
    status: int | None,
    not_modified: bool = False,
) -> None:
    CrawlOutcome.insert(
        run=run_id,
        url=url,
        outcome=outcome,
        reason=reason,
        http_status=status,
        not_modified=not_modified,
    ).on_conflict_ignore().execute()


def record_unchanged(
    run: CrawlRun,
    known: Known,
    url: str,
    status: int | None,
    not_modified: bool,
    headers: dict[str, str],
    content: PageContent | None = None,
) -> str:
    """Same text as before: no chunk is touched. Links, forms and actions are refreshed when the
    page was downloaded (they are not part of the text hash)."""
    fields = dict(
        fetched_at=utcnow(),
        status="ok",
        error=None,
        http_status=status,
        etag=headers.get("etag") or known.etag,
        last_modified=headers.get("last-modified") or known.last_modified,
    )
    if content is not None:
        fields.update(links=content.links, forms=content.forms, actions=content.actions)
        fields["blocks"] = boilerplate.block_keys(content)  # a page recorded before m0047
    if not not_modified and (policy := frame_policy(headers)) is not None:
        fields["frame_policy"] = policy  # a 304 leaves out headers the page still sends
    with page_transaction():
        Page.update(**fields).where(Page.id == known.id).execute()
        _outcome(run.id, url, "unchanged", None, status, not_modified)
    return "unchanged"


class NotModifiedBatch:
    """304 answers, recorded many at a time: on a recrawl of an unchanged site they are almost
    every page, and one transaction per page would cost more than the requests themselves. A
    batch lost to a killed worker only means those pages are asked for again."""

    def __init__(self, run: CrawlRun, size: int = 100) -> None:
        self.run, self.size = run, size
        self._rows: list[tuple[int, str, int | None, str | None, str | None]] = []
        self._lock = threading.Lock()

    def add(self, known: Known, url: str, status: int | None, headers: dict[str, str]) -> None:
        with self._lock:
            self._rows.append(
                (
                    known.id,
                    url,
                    status,
                    headers.get("etag") or known.etag,
                    headers.get("last-modified") or known.last_modified,
                )
            )
            full = len(self._rows) >= self.size
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return
        with database.connection_context(), page_transaction():
            database.execute_sql(
                "UPDATE pages p SET fetched_at = now(), status = 'ok', error = NULL, "
                "http_status = v.status, etag = v.etag, last_modified = v.lm FROM (VALUES "
                + ", ".join(["(%s::bigint, %s::int, %s::text, %s::text)"] * len(rows))
                + ") AS v(id, status, etag, lm) WHERE p.id = v.id",
                [x for r in rows for x in (r[0], r[2], r[3], r[4])],
            )
            CrawlOutcome.insert_many(
                [
                    dict(
                        run=self.run.id,
                        url=r[1],
                        outcome="unchanged",
                        http_status=r[2],
                        not_modified=True,
                    )
                    for r in rows
                ]
            ).on_conflict_ignore().execute()


def record_failure(
    run: CrawlRun,
    site: Site,
    url: str,
    depth: int,
    status: int | None,
    reason: str,
    known: Known | None,
    gone: bool,
) -> str:
    """A page that could not be indexed. A page that is gone (404/410) loses its chunks; one that
    failed for another reason keeps what it had until it is fetched again."""
    outcome = "removed" if gone and known and known.status == "ok" else "failed"
    with page_transaction():
        if known:
            Page.update(
                status="removed" if outcome == "removed" else "failed",
                error=reason,
                http_status=status,
                fetched_at=utcnow(),
            ).where(Page.id == known.id).execute()
            if outcome == "removed":
                retire_chunks([known.id])
        else:
            Page.insert(
                tenant=site.tenant_id,
                site=site.id,
                url=url,
                status="failed",
                error=reason,
                http_status=status,
                depth=depth,
                fetched_at=utcnow(),
            ).on_conflict_ignore().execute()
        _outcome(run.id, url, outcome, reason, status)
    return outcome


def record_content(
    run: CrawlRun,
    site: Site,
    url: str,
    depth: int,
    fetched,
    content: PageContent,
    drafts: list[ChunkDraft],
    known: Known | None,
    digest: str,
    sitemap_lastmod: str | None,
) -> str:
    outcome = "new" if known is None or known.content_hash is None else "changed"
    fields = _page_fields(fetched, content, digest, depth, sitemap_lastmod)
    with page_transaction():
        if known:
            Page.update(**fields).where(Page.id == known.id).execute()
            page_id = known.id
        else:
            page_id = (
                Page.insert(tenant=site.tenant_id, site=site.id, url=url, **fields)
                .on_conflict(conflict_target=[Page.site, Page.url], update=fields)
                .execute()
            )
        _replace_chunks(site, page_id, url, content.title, drafts, fresh=known is None)
        _outcome(run.id, url, outcome, None, fetched.status)
    return outcome


@dataclass(frozen=True)
class NewPage:
    """A page no earlier crawl of the site recorded, with its text cut into chunks."""

    url: str
    fetched: object  # what the crawl store reads of a fetch: final_url, status, headers, …
    content: PageContent
    drafts: list[ChunkDraft]
    digest: str
    depth: int = 0


def record_new_pages(run: CrawlRun, site: Site, pages: list[NewPage]) -> None:
    """Many new pages in one transaction: their page rows, chunks and outcomes in three
    statements, as ``record_content`` records one (a first index of a site's own files has
    thousands; a page at a time cost six statements each). A batch lost to a killed worker is
    simply indexed again by the retry, which skips only the pages with an outcome."""
    if not pages:
        return
    rows = [
        dict(
            tenant=site.tenant_id,
            site=site.id,
            url=page.url,
            **_page_fields(page.fetched, page.content, page.digest, page.depth, None),
        )
        for page in pages
    ]
    updated = [getattr(Page, name) for name in rows[0] if name not in ("tenant", "site", "url")]
    with page_transaction():
        ids = dict(
            (url, page_id)
            for page_id, url in Page.insert_many(rows)
            .on_conflict(conflict_target=[Page.site, Page.url], preserve=updated)
            .returning(Page.id, Page.url)
            .tuples()
            .execute()
        )
        chunks = [
            row
            for page in pages
            for row in _chunk_rows(site, ids[page.url], page.url, page.content.title, page.drafts)
        ]
        for start in range(0, len(chunks), 1000):  # under PostgreSQL's 65,535 parameters
            Chunk.insert_many(chunks[start : start + 1000]).execute()
        CrawlOutcome.insert_many(
            [
                dict(
                    run=run.id,
                    url=page.url,
                    outcome="new",
                    reason=None,
                    http_status=getattr(page.fetched, "status", None),
                    not_modified=False,
                )
                for page in pages
            ]
        ).on_conflict_ignore().execute()


def _page_fields(
    fetched, content: PageContent, digest: str, depth: int, sitemap_lastmod: str | None
) -> dict:
    now = utcnow()
    return dict(
        final_url=fetched.final_url,
        canonical_url=content.canonical,
        redirects=fetched.redirects,
        status="ok",
        http_status=fetched.status,
        error=None,
        title=content.title,
        lang=content.lang,
        etag=fetched.headers.get("etag"),
        last_modified=fetched.headers.get("last-modified"),
        frame_policy=frame_policy(fetched.headers),
        sitemap_lastmod=sitemap_lastmod,
        content_hash=digest,
        blocks=boilerplate.block_keys(content),
        depth=depth,
        headings=content.headings,
        links=content.links,
        forms=content.forms,
        actions=content.actions,
        fetched_at=now,
        changed_at=now,
    )


def _replace_chunks(
    site: Site, page_id: int, url: str, title: str, drafts: list[ChunkDraft], fresh: bool = False
) -> None:
    """Swap the page's chunks, keeping the vectors of chunks whose text did not change (so only
    new or changed text is embedded again). A page never seen before has nothing to swap."""
    old = {}
    if not fresh:
        old = {
            c.text_hash: (c.embedding, c.embed_model)
            for c in Chunk.select(Chunk.text_hash, Chunk.embedding, Chunk.embed_model).where(
                Chunk.page == page_id,
                Chunk.embedding.is_null(False),
                Chunk.retired == False,  # noqa: E712 - peewee's SQL comparison
            )
        }
        retire_chunks([page_id])
    rows = _chunk_rows(site, page_id, url, title, drafts, old)
    if rows:
        Chunk.insert_many(rows).execute()


def _chunk_rows(
    site: Site,
    page_id: int,
    url: str,
    title: str,
    drafts: list[ChunkDraft],
    old: dict[str, tuple] | None = None,
) -> list[dict]:
    """The chunk rows of a page's drafts, each with its old vector when its text is unchanged."""
    rows = []
    for ord_, draft in enumerate(drafts):
        vector, model = (old or {}).get(draft.text_hash, (None, None))
        rows.append(
            dict(
                tenant=site.tenant_id,
                site=site.id,
                page=page_id,
                ord=ord_,
                kind=draft.kind,
                url=url,
                anchor=draft.anchor,
                title=title,
                heading=draft.heading,
                text=draft.text,
                text_hash=draft.text_hash,
                embedding=vector,
                embed_model=model,
            )
        )
    return rows


def retire_chunks(page_ids: list[int]) -> None:
    """Take the pages' current chunks out of the knowledge being built. A chunk a release
    holds stays (retired) so that release still answers and can be rolled back to; the others
    are deleted at once. New content always gets new chunk rows: a release never changes."""
    if not page_ids:
        return
    database.execute_sql(
        "DELETE FROM chunks c WHERE c.page_id = ANY(%s) AND NOT c.retired AND NOT EXISTS "
        "(SELECT 1 FROM release_chunks rc WHERE rc.chunk_id = c.id)",
        (page_ids,),
    )
    Chunk.update(retired=True).where(
        Chunk.page.in_(page_ids),
        Chunk.retired == False,  # noqa: E712 - peewee's SQL comparison
    ).execute()


def finish_run(run: CrawlRun, site: Site, seen: set[str], error: str | None = None) -> dict:
    """Pages not reached this time are removed (with their chunks); totals are stored, and the
    site's knowledge version moves on when anything changed."""
    with database.atomic():
        if error is None:
            gone = [
                p
                for p in Page.select(Page.id, Page.url).where(
                    Page.site == site.id, Page.status != "removed"
                )
                if p.url not in seen
            ]
            retire_chunks([page.id for page in gone])
            for page in gone:
                Page.update(status="removed", error="no longer linked or listed").where(
                    Page.id == page.id
                ).execute()
                _outcome(run.id, page.url, "removed", "no longer linked or listed", None)
            boilerplate.strip_site(site, run.id, _replace_chunks)
        totals = totals_of(run.id)
        changed = totals["new"] + totals["changed"] + totals["removed"]
        stopped = error is not None
        if error is None and totals["failed"]:
            error = failure_summary(_failure_reasons(run.id), totals["failed"])
        indexed = totals["new"] + totals["changed"] + totals["unchanged"]
        Site.update(
            last_crawl_at=utcnow(), knowledge_version=Site.knowledge_version + (1 if changed else 0)
        ).where(Site.id == site.id).execute()
        # A run that indexed no page failed, whatever the reason: the owner must not see green.
        status = "succeeded" if indexed and not stopped else "failed"
        if status == "failed" and not error:
            error = "no page was indexed: check the start URL and the scope"
        CrawlRun.update(status=status, totals=totals, error=error, finished_at=utcnow()).where(
            CrawlRun.id == run.id
        ).execute()
    return {**totals, "status": status, "problem": error}


def _failure_reasons(run_id: int) -> list[str]:
    return [
        o.reason or ""
        for o in CrawlOutcome.select(CrawlOutcome.reason)
        .where(
            CrawlOutcome.run == run_id,
            CrawlOutcome.outcome == "failed",
            CrawlOutcome.reason.is_null(False),
        )
        .order_by(CrawlOutcome.at)
        .limit(50)
    ]


def mark_failed(run: CrawlRun, error: str) -> None:
    CrawlRun.update(
        status="failed", error=explain(error)[:4000], totals=totals_of(run.id), finished_at=utcnow()
    ).where(CrawlRun.id == run.id).execute()


def totals_of(run_id: int) -> dict:
    counts: dict[str, int] = dict(
        cast(
            Iterable[tuple[str, int]],
            CrawlOutcome.select(CrawlOutcome.outcome, fn.COUNT(CrawlOutcome.url))
            .where(CrawlOutcome.run == run_id)
            .group_by(CrawlOutcome.outcome)
            .tuples(),
        )
    )
    totals = {name: int(counts.get(name, 0)) for name in OUTCOMES}
    totals["not_modified"] = (
        CrawlOutcome.select()
        .where(CrawlOutcome.run == run_id, CrawlOutcome.not_modified == True)  # noqa: E712
        .count()
    )
    totals["pages"] = sum(int(counts.get(name, 0)) for name in OUTCOMES)
    return totals
