"""A whole crawl of one site: robots, sitemaps, then breadth-first link discovery in scope, with
a few pages in flight per host. The same function runs in a worker job and in the foreground
CLI; re-running it for the same job resumes the run where a killed worker left it.

A job's crawl stops between pages when its worker stops: the pages in flight are finished and
recorded, none is started, and the frontier (what was visited, what is queued) becomes the job's
checkpoint, so the next run fetches only what was never fetched. After a kill (no checkpoint)
the run's recorded pages and their stored links rebuild the frontier instead; the pages that
were not recorded (a twin, a canonical elsewhere, a redirect's source) are then fetched again."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sitespeak.crawl import robots as robots_mod
from sitespeak.crawl import store
from sitespeak.crawl.fetch import Fetched, Fetcher
from sitespeak.crawl.scope import Scope, normalise
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.errors import JobInterrupted
from sitespeak.knowledge.chunking import chunk_page
from sitespeak.knowledge.extract import UnparseableHtml, extract, parse
from sitespeak.knowledge.page_actions import links_of
from sitespeak.settings import Settings

log = logging.getLogger(__name__)
Progress = Callable[..., None]
Stopping = Callable[[], bool]


@dataclass
class Frontier:
    """URLs to visit (with depth), URLs already taken, and the page keys already recorded."""

    scope: Scope
    queue: list[tuple[str, int]] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    recorded: set[str] = field(default_factory=set)
    contents: dict[str, str] = field(default_factory=dict)  # text hash -> the page's URL
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, url: str, depth: int) -> None:
        url = normalise(url)
        if url not in self.taken and depth <= self.scope.max_depth and self.scope.allows(url):
            self.taken.add(url)
            self.queue.append((url, depth))

    def twin_of(self, digest: str, url: str) -> str | None:
        """The page already recorded in this run with the same text under another address
        ("/" and "/index.html"), else None and ``url`` becomes that text's page."""
        with self.lock:
            owner = self.contents.setdefault(digest, url)
            return owner if owner != url and owner in self.recorded else None

    def claim_key(self, key: str) -> bool:
        """True for the first page recorded under ``key`` (redirects and canonicals collapse)."""
        with self.lock:
            if key in self.recorded or len(self.recorded) >= self.scope.max_pages:
                return False
            self.recorded.add(key)
            return True


@dataclass
class CrawlContext:
    site: Site
    run: store.CrawlRun
    fetcher: Fetcher
    robots: dict[str, robots_mod.Robots]
    known: dict[str, store.Known]
    lastmods: dict[str, str | None]
    frontier: Frontier
    delay: float
    not_modified: store.NotModifiedBatch
    aliases: dict[str, str] = field(default_factory=dict)  # redirect source -> page URL


def crawl_site(
    site: Site,
    settings: Settings,
    *,
    job_id: uuid.UUID | None = None,
    progress: Progress | None = None,
    stopping: Stopping | None = None,
    resume: dict[str, Any] | None = None,
) -> dict:
    """Crawl ``site`` and return the run's totals (with ``run_id``). When ``stopping()`` turns
    true, raises JobInterrupted with the checkpoint that ``resume`` takes back."""
    scope = Scope.of(site.start_urls, site.scope)
    run, done = store.start_run(site, job_id)
    fetcher = Fetcher(
        user_agent=settings.crawl_user_agent,
        timeout=settings.crawl_timeout,
        max_bytes=settings.crawl_max_bytes,
        max_redirects=settings.crawl_max_redirects,
        allow_private=site.allow_private,
        connections=settings.crawl_concurrency,
    )
    try:
        ctx = _prepare(site, run, fetcher, scope, settings)
        _resume(ctx, done, resume)
        try:
            finished = _loop(
                ctx,
                settings,
                progress or (lambda **_: None),
                len(done),
                stopping or (lambda: False),
            )
        finally:
            ctx.not_modified.flush()
        if ctx.frontier.queue:  # stopped with pages left: the run resumes from the checkpoint
            raise JobInterrupted(_checkpoint(ctx, finished))
        totals = store.finish_run(run, site, ctx.frontier.recorded)
    except JobInterrupted:
        raise  # not a failure: the run stays open for the job's next run
    except Exception as exc:
        # The run shows why it stopped; a retry of the job resumes it (and marks it running).
        try:
            store.mark_failed(run, f"{type(exc).__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the original error is the one to report
            log.exception("could not mark crawl run %s failed", run.id)
        raise
    finally:
        fetcher.close()
    return {"run_id": run.id, **totals}


def _prepare(
    site: Site, run: store.CrawlRun, fetcher: Fetcher, scope: Scope, settings: Settings
) -> CrawlContext:
    robots, lastmods = {}, {}
    frontier = Frontier(scope)
    for origin in sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in site.start_urls}):
        rules = robots_mod.fetch_robots(fetcher, origin, settings.crawl_user_agent)
        robots[urlsplit(origin).netloc.lower()] = rules
        lastmods.update(robots_mod.sitemap_urls(fetcher, origin, rules))
    for url in site.start_urls:
        frontier.add(url, 0)
    for url in lastmods:
        frontier.add(url, 1)
    delay = min(
        max((r.crawl_delay for r in robots.values()), default=0.0), settings.crawl_max_crawl_delay
    )
    known = store.known_pages(site.id)
    aliases = {hop["from"]: url for url, page in known.items() for hop in page.redirects}
    # A page answering 304 brings no text to compare: its known text hash stands in for it,
    # the shallowest, shortest address first (the start URL before its /index.html).
    for url, page in sorted(known.items(), key=lambda item: (item[1].depth, len(item[0]))):
        if page.status == "ok" and page.content_hash:
            frontier.contents.setdefault(page.content_hash, url)
    return CrawlContext(
        site,
        run,
        fetcher,
        robots,
        known,
        {normalise(u): m for u, m in lastmods.items()},
        frontier,
        delay,
        store.NotModifiedBatch(run),
        aliases,
    )


def _resume(ctx: CrawlContext, done: dict[str, str], checkpoint: dict[str, Any] | None) -> None:
    """Pages this run already recorded are not fetched again, and their stored links still feed
    the frontier, so nothing reachable only through them is lost. A checkpoint of this run
    brings back the rest of the frontier: what was visited without being recorded (a twin, a
    canonical elsewhere, a redirect's source) is not fetched again either."""
    prepared = len(ctx.frontier.queue)  # the start and sitemap URLs
    pending = list(ctx.frontier.queue)
    saved = _frontier_of(checkpoint, ctx.run.id)
    if saved is not None:
        taken, queue = saved
        pending = queue + [item for item in pending if item[0] not in taken]  # new sitemap URLs
        ctx.frontier.taken |= taken
    for url in done:
        ctx.frontier.taken.add(url)
        if done[url] != "removed":
            ctx.frontier.recorded.add(url)
        known = ctx.known.get(url)
        if known and known.status == "ok":
            for link in known.links:
                ctx.frontier.add(link["href"], known.depth + 1)
    linked = ctx.frontier.queue[prepared:]
    ctx.frontier.queue = [item for item in pending if item[0] not in done] + linked


def _checkpoint(ctx: CrawlContext, finished: int) -> dict[str, Any]:
    return {
        "run_id": ctx.run.id,
        "pages": finished,
        "taken": sorted(ctx.frontier.taken),
        "queue": [[url, depth] for url, depth in ctx.frontier.queue],
    }


def _frontier_of(
    checkpoint: dict[str, Any] | None, run_id: int
) -> tuple[set[str], list[tuple[str, int]]] | None:
    """(taken, queue) of a checkpoint this run left, else None (none, another run's, or
    unreadable: then the recorded pages rebuild the frontier, which loses nothing)."""
    if not checkpoint or checkpoint.get("run_id") != run_id:
        return None
    try:
        taken = {str(url) for url in checkpoint["taken"]}
        queue = [(str(url), int(depth)) for url, depth in checkpoint["queue"]]
    except (KeyError, TypeError, ValueError):
        return None
    return taken, queue


def _loop(
    ctx: CrawlContext, settings: Settings, progress: Progress, already: int, stopping: Stopping
) -> int:
    """Visit the frontier until it is empty or ``stopping()``: then the pages in flight are
    finished and the rest stays queued. Returns how many pages the run has visited."""
    workers = 1 if ctx.delay else settings.crawl_concurrency
    finished, last_report = already, 0.0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crawl") as pool:
        running: set[Future] = set()
        while ctx.frontier.queue or running:
            if len(ctx.frontier.recorded) >= ctx.frontier.scope.max_pages:
                ctx.frontier.queue.clear()  # the page budget is spent
            halted = stopping()
            while not halted and ctx.frontier.queue and len(running) < workers:
                url, depth = ctx.frontier.queue.pop(0)
                running.add(pool.submit(_visit, ctx, url, depth))
            if not running:
                break  # stopping, with nothing in flight
            completed, running = wait(running, return_when=FIRST_COMPLETED)
            for future in completed:
                for link, depth in future.result():
                    ctx.frontier.add(link, depth)
                finished += 1
            if time.monotonic() - last_report > 0.5 or not (ctx.frontier.queue or running):
                last_report = time.monotonic()
                progress(
                    site_id=ctx.site.id,
                    run_id=ctx.run.id,
                    done=finished,
                    queued=len(ctx.frontier.queue) + len(running),
                )
    return finished


def _visit(ctx: CrawlContext, url: str, depth: int) -> list[tuple[str, int]]:
    """Fetch, extract and record one URL; return the links it leads to. The pooled connection
    goes back after each page: crawl threads must not pin the pool."""
    with database.connection_context():
        return _visit_page(ctx, url, depth)


def _robots_for(ctx: CrawlContext, url: str) -> robots_mod.Robots:
    """The rules of the URL's host; a host first met through a link is asked now."""
    parts = urlsplit(url)
    host = parts.netloc.lower()
    with ctx.frontier.lock:
        rules = ctx.robots.get(host)
    if rules is None:
        rules = robots_mod.fetch_robots(
            ctx.fetcher, f"{parts.scheme}://{parts.netloc}", ctx.fetcher.user_agent
        )
        with ctx.frontier.lock:
            rules = ctx.robots.setdefault(host, rules)
    return rules


def _visit_page(ctx: CrawlContext, url: str, depth: int) -> list[tuple[str, int]]:
    if not _robots_for(ctx, url).allowed(url):
        return []  # never fetched; a page known from before is removed at the end
    if ctx.delay:
        time.sleep(ctx.delay)
    # A URL that redirected last time is asked for with the validators of the page it led to.
    known = ctx.known.get(ctx.aliases.get(url, url))
    fresh = known if known is not None and known.status == "ok" else None
    fetched = ctx.fetcher.get(
        url,
        etag=fresh.etag if fresh else None,
        last_modified=fresh.last_modified if fresh else None,
    )
    try:
        return _record(ctx, url, depth, fetched)
    except Exception as exc:  # noqa: BLE001 - one bad page must not end the crawl
        log.exception("crawl of %s failed", url)
        store.record_failure(
            ctx.run,
            ctx.site,
            url,
            depth,
            fetched.status,
            f"{type(exc).__name__}: {exc}",
            known,
            gone=False,
        )
        ctx.frontier.recorded.add(url)
        return []


def _record(ctx: CrawlContext, url: str, depth: int, fetched: Fetched) -> list[tuple[str, int]]:
    if fetched.not_modified:
        url = normalise(fetched.final_url)
    known = ctx.known.get(url)
    if fetched.not_modified and known is not None:
        if ctx.frontier.claim_key(url):
            ctx.not_modified.add(known, url, fetched.status, fetched.headers)
        return [(link["href"], depth + 1) for link in known.links]
    if fetched.error:
        if ctx.frontier.claim_key(url):
            store.record_failure(
                ctx.run,
                ctx.site,
                url,
                depth,
                fetched.status,
                fetched.error,
                known,
                gone=fetched.status in (404, 410),
            )
        return []
    final = normalise(fetched.final_url)
    if final != url:  # redirected: the page lives at its final URL
        if not ctx.frontier.scope.allows(final):
            return []
        ctx.frontier.taken.add(final)
        url, known = final, ctx.known.get(final)
    try:
        content = extract(fetched.body, url, fetched.charset)
    except Exception as exc:  # noqa: BLE001 - recorded on the page; its links still count
        reason = str(exc) if isinstance(exc, UnparseableHtml) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, UnparseableHtml):
            log.exception("extraction of %s failed", url)
        if ctx.frontier.claim_key(url):
            store.record_failure(
                ctx.run, ctx.site, url, depth, fetched.status, reason, known, gone=False
            )
        return [(href, depth + 1) for href in _links_only(fetched.body, url)]
    links = [(link["href"], depth + 1) for link in content.links]
    canonical = normalise(content.canonical) if content.canonical else url
    if canonical != url and ctx.frontier.scope.allows(canonical):
        return links + [(canonical, depth)]  # the canonical URL is the page; index it there
    digest = store.content_hash(content)
    if ctx.frontier.twin_of(digest, url) is not None:
        return links  # one page per document: it lives at the address recorded first
    if not ctx.frontier.claim_key(url):
        return links
    if known is not None and known.content_hash == digest and known.status == "ok":
        store.record_unchanged(ctx.run, known, url, fetched.status, False, fetched.headers, content)
    else:
        store.record_content(
            ctx.run,
            ctx.site,
            url,
            depth,
            fetched,
            content,
            chunk_page(content),
            known,
            digest,
            ctx.lastmods.get(url),
        )
    return links


def _links_only(body: bytes, url: str) -> list[str]:
    """The links of a page whose content could not be extracted: the crawl goes on through it."""
    try:
        return [link["href"] for link in links_of(parse(body, url))]
    except Exception:  # noqa: BLE001 - unparseable: there are no links to follow
        return []
