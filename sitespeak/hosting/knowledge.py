"""A hosted site's knowledge, built from its live release's files: a crawl run whose pages come
from disk instead of HTTP, written through the crawl store (the same extraction, chunking, page
and outcome rows, run totals and knowledge version), so whatever a crawl run leads to (the
embedding job, a candidate knowledge release) follows from this run the same way.

An upload's knowledge goes live as soon as it is indexed, before its vectors: the owner who
published is waiting, and on a small CPU the vectors of a 1,000-page site take over a minute
while indexing takes seconds. Until they are in, the new passages are found by their words
(retrieval fuses full-text and vector rankings; a passage without a vector is in the first
only), and the embedding job's own announcement brings meaning in without a new release: a
release is its set of passages, and a passage's vector follows from its text."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sitespeak import sites
from sitespeak.crawl import store
from sitespeak.crawl.scope import normalise
from sitespeak.db.models import Site
from sitespeak.events.bus import Publish
from sitespeak.hosting import layout, registry
from sitespeak.hosting.models import HostedSite
from sitespeak.hosting.publish import current_number
from sitespeak.jobs.context import JobContext
from sitespeak.knowledge.chunking import chunk_page
from sitespeak.knowledge.embedders import embedder_for
from sitespeak.knowledge.extract import UnparseableHtml, extract
from sitespeak.knowledge.indexing import announce, embed_site
from sitespeak.releases.candidates import build_candidate
from sitespeak.releases.views import release_summary
from sitespeak.settings import Settings

log = logging.getLogger(__name__)
HTML_TYPE = "text/html"
EMBED = "knowledge.embed"
BATCH = 50  # new pages a transaction


@dataclass(frozen=True)
class FromFile:
    """What the crawl store reads of a fetch, for a page read from the release."""

    final_url: str
    status: int = 200
    redirects: list = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def pages_of(manifest: layout.Manifest) -> dict[str, str]:
    """URL path -> file of every page a visitor can reach: a folder's index.html under its
    folder URL only, never the 404 page."""
    by_file: dict[str, str] = {}
    for url_path, entry in sorted(manifest.files.items(), key=lambda kv: len(kv[0])):
        name = manifest.file_of(url_path)
        if not entry.content_type.startswith(HTML_TYPE) or name is None:
            continue
        if url_path == manifest.not_found:
            continue
        by_file.setdefault(name, url_path)  # the shortest URL of a file: "/about/"
    return {url_path: name for name, url_path in by_file.items()}


def ingest_release(
    site: Site,
    release: Path,
    base_url: str,
    *,
    job_id: uuid.UUID | None = None,
    progress: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """Index the pages of ``release`` (a release folder) as ``base_url`` serves them; return the
    run's totals with ``run_id``. A retry of the same job resumes its run."""
    manifest = layout.Manifest.from_json((release / layout.MANIFEST).read_text("utf-8"))
    run, done = store.start_run(site, job_id)
    known = store.known_pages(site.id)
    seen: set[str] = set()
    new: list[store.NewPage] = []  # written BATCH at a time
    try:
        pages = pages_of(manifest)
        for count, (url_path, name) in enumerate(sorted(pages.items()), 1):
            url = normalise(base_url + quote(url_path))
            seen.add(url)
            if url not in done:
                page = _index(run, site, url, layout.file_path(release, name), known.get(url))
                if page is not None:
                    new.append(page)
            if len(new) >= BATCH or count == len(pages):
                store.record_new_pages(run, site, new)
                new = []
            if progress and (count % BATCH == 0 or count == len(pages)):
                progress(site_id=site.id, run_id=run.id, done=count, queued=len(pages) - count)
        totals = store.finish_run(run, site, seen)
    except Exception as exc:
        store.mark_failed(run, f"{type(exc).__name__}: {exc}")
        raise
    return {"run_id": run.id, **totals}


def _index(
    run: Any, site: Site, url: str, path: Path, known: store.Known | None
) -> store.NewPage | None:
    """Record the page at ``path``, or return it when it is new: new pages are written many
    at a time (``store.record_new_pages``), the others as a crawl writes them."""
    body = path.read_bytes()
    try:
        content = extract(body, url, "utf-8")
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the others
        reason = str(exc) if isinstance(exc, UnparseableHtml) else f"{type(exc).__name__}: {exc}"
        store.record_failure(run, site, url, 0, 200, reason, known, gone=False)
        return None
    digest = store.content_hash(content)
    if known is not None and known.content_hash == digest and known.status == "ok":
        store.record_unchanged(run, known, url, 200, False, {}, content)
    elif known is None:
        return store.NewPage(url, FromFile(url), content, chunk_page(content), digest)
    else:
        fetched = FromFile(url)
        drafts = chunk_page(content)
        store.record_content(run, site, url, 0, fetched, content, drafts, known, digest, None)
    return None


def ingest_job(ctx: JobContext, hosted: HostedSite, number: int) -> dict[str, Any]:
    """The ``hosting.ingest`` job: index the live release, make the run's knowledge release
    (live unless the safety gate holds it), then embed on the critical queue."""
    settings = ctx.settings
    if current_number(settings, hosted.site_id) != number:
        return {"release": number, "skipped": "no longer the live release"}
    site = sites.get_site(hosted.tenant_id, hosted.site_id)
    folder = layout.release_dir(settings.state_dir, hosted.site_id, number)
    base = registry.primary_url(hosted, settings)
    totals = ingest_release(site, folder, base, job_id=ctx.job_id, progress=ctx.progress)
    knowledge = _release_knowledge(site, totals["run_id"], settings, ctx.publish)
    job = ctx.submit(
        EMBED,
        # Without the run: its knowledge release is made already, the vectors only follow.
        {"site_id": site.id, "source": "upload"},
        queue="critical",
        idempotency_key=f"embed:{site.id}:{totals['run_id']}",
    )
    return {"release": number, **totals, "knowledge_release": knowledge, "embed_job": str(job.id)}


def _release_knowledge(
    site: Site, run_id: int, settings: Settings, publish: Publish
) -> dict[str, Any] | None:
    """The run's candidate knowledge release (idempotent per run, so a retried job finds it),
    then the news that the site's knowledge changed."""
    release = build_candidate(site.id, run_id, settings, publish, source="upload")
    announce(publish, site)
    return release_summary(release)


def ingest_foreground(
    settings: Settings, hosted: HostedSite, number: int, publish: Publish
) -> dict[str, Any]:
    """What ``sitespeak publish`` runs after the switch: the index and its embeddings, here."""
    site = sites.get_site(hosted.tenant_id, hosted.site_id)
    folder = layout.release_dir(settings.state_dir, hosted.site_id, number)
    totals = ingest_release(site, folder, registry.primary_url(hosted, settings))
    totals["release"] = _release_knowledge(site, totals["run_id"], settings, publish)
    totals["embedding"] = embed_site(site.id, embedder_for(settings), settings.embed_batch_size)
    announce(publish, site)
    return totals
