"""The web process's view of every site's knowledge: one ``SiteIndex`` per site, loaded on first
use, swapped whole on ``knowledge-base.updated`` and re-checked after an event-bus resync or when
older than ``knowledge_check_every`` (so a missed event cannot leave stale knowledge for good).

Nothing here blocks the event loop: database reads go through the given ``run_db`` (the web
process's thread pool); embedding and vector scans run on a small executor of their own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from sitespeak.errors import Unavailable, outage_from
from sitespeak.events.bus import Event, EventType
from sitespeak.knowledge import query_vectors, retrieval
from sitespeak.knowledge.embedders import Embedder, RemoteEmbedder
from sitespeak.knowledge.site_index import (
    SiteIndex,
    live_state,
    load_site_index,
    same_chunks,
    site_version,
)

log = logging.getLogger(__name__)
RunDb = Callable[..., Awaitable[Any]]
# The sentences a second look by meaning compares a question with (sitespeak.voice.by_meaning):
# the same passages come up for the same few questions, so their vectors are kept too.
sentence_vectors = query_vectors.QueryVectors(4096)  # 384 float32 each: ~6 MB


class KnowledgeCache:
    def __init__(
        self,
        run_db: RunDb,
        embedder: Callable[[], Embedder | RemoteEmbedder],
        check_every: float = 30.0,
        threads: int = 2,
    ) -> None:
        self._run_db = run_db
        self._embedder_factory = embedder
        self._embedder: Embedder | RemoteEmbedder | None = None
        self._check_every = check_every
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="knowledge")
        self._indexes: dict[int, SiteIndex] = {}
        # Per site, the index of the release live before the last switch: a rollback to it
        # (the usual one, right after a bad publish) swaps it back at once, no reload.
        self._spares: dict[int, SiteIndex] = {}
        self._checked: dict[int, float] = {}
        self._loading: dict[int, asyncio.Task] = {}
        self._background: set[asyncio.Task] = set()

    async def _call(self, fn: Callable, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def embedder(self) -> Embedder | RemoteEmbedder:
        if self._embedder is None:  # the model loads once, off the loop
            self._embedder = await self._call(self._embedder_factory)
        return self._embedder

    async def search(self, site_id: int, query: str, k: int = 5) -> list[retrieval.Passage]:
        query = query.strip()
        if not query or k <= 0:
            return []
        index = await self.index(site_id)
        embedder = await self.embedder()
        width = max(retrieval.CANDIDATES, k)
        lexical_rows, vector_hits = await asyncio.gather(
            self._lexical(site_id, query, width),
            self._vector_hits(embedder, index, query, width),
        )
        fused = retrieval.fuse([[r[0] for r in lexical_rows], [c for c, _ in vector_hits]], k)
        return retrieval.passages(site_id, fused, lexical_rows, index)

    async def similarity(self, query: str, texts: list[str]) -> list[float] | None:
        """How close each text is to ``query`` in meaning (cosine, -1 to 1), with the embedder
        that ranks passages; None when no vector can be had now. Vectors already made (the
        question's, for retrieval; a passage's sentences, at an earlier second look) are
        reused: only the rest are embedded, in one call."""
        embedder = await self.embedder()
        wanted = [query, *texts]
        caches = [query_vectors.shared] + [sentence_vectors] * len(texts)
        vectors = [c.get(embedder.name, t) for c, t in zip(caches, wanted, strict=True)]
        missing = sorted({t for t, v in zip(wanted, vectors, strict=True) if v is None})
        if missing:
            try:
                if isinstance(embedder, RemoteEmbedder):
                    matrix = await embedder.embed_async(missing)
                else:
                    matrix = await self._call(embedder.embed, missing)
            except Unavailable as exc:
                log.warning("no vectors for a second look (%s)", exc)
                return None
            made = dict(zip(missing, np.asarray(matrix), strict=True))
            for i, (cache, text) in enumerate(zip(caches, wanted, strict=True)):
                if vectors[i] is None:
                    vectors[i] = made[text]
                    cache.put(embedder.name, text, made[text])
        asked = np.asarray(vectors[0])
        return [float(np.asarray(v) @ asked) for v in vectors[1:]]

    async def _lexical(self, site_id: int, query: str, width: int) -> list[tuple]:
        try:
            return await self._run_db(retrieval.lexical, site_id, query, width)
        except Exception as exc:
            if outage_from(exc) is None:
                raise
            # The index in memory still answers: a voice turn during a PostgreSQL restart is
            # answered from the vectors alone rather than failed.
            log.warning("full-text search unavailable (%s); vectors only", type(exc).__name__)
            return []

    async def _vector_hits(
        self, embedder: Embedder | RemoteEmbedder, index: SiteIndex, query: str, width: int
    ) -> list[tuple[int, float]]:
        if not isinstance(embedder, RemoteEmbedder):
            return list(await self._call(_vector_top, embedder, index, query, width))
        if not len(index.vectors):
            return []
        vector = query_vectors.shared.get(embedder.name, query)
        if vector is None:
            try:
                vector = (await embedder.embed_async([query]))[0]
            except Unavailable as exc:
                # Keywords alone still find the page of most questions: a typed question
                # while the speech process restarts is answered, not failed.
                log.warning("no query vector (%s); full-text search only", exc)
                return []
            query_vectors.shared.put(embedder.name, query, np.asarray(vector))
        return list(await self._call(index.vectors.top, vector, width))

    async def index(self, site_id: int) -> SiteIndex:
        index = self._indexes.get(site_id)
        if index is None:
            return await self.reload(site_id)
        if time.monotonic() - self._checked.get(site_id, 0) > self._check_every:
            self._checked[site_id] = time.monotonic()
            task = asyncio.get_running_loop().create_task(self._check(site_id))
            self._background.add(task)  # held: the loop keeps only weak references to tasks
            task.add_done_callback(self._background.discard)
        return index

    async def reload(self, site_id: int) -> SiteIndex:
        """Load the site's index now; concurrent callers share one load."""
        task = self._loading.get(site_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load(site_id))
            self._loading[site_id] = task
            task.add_done_callback(lambda _: self._loading.pop(site_id, None))
        return await asyncio.shield(task)

    async def _load(self, site_id: int) -> SiteIndex:
        embedder = await self.embedder()
        index = await self._reusable(site_id, embedder.name)
        if index is None:
            index = await self._run_db(load_site_index, site_id, embedder.name, embedder.dim)
        current = self._indexes.get(site_id)
        if current is not None and current.release_id not in (None, index.release_id):
            self._spares[site_id] = current  # a rollback to it needs no load
        self._indexes[site_id] = index
        self._checked[site_id] = time.monotonic()
        log.info(
            "knowledge of site %s loaded: version %s, %s vectors",
            site_id,
            index.version,
            len(index.vectors),
        )
        return index

    async def _reusable(self, site_id: int, model: str) -> SiteIndex | None:
        """The index in memory of the site's live release (the current one, or the spare left
        by the last switch), at the site's new version; None when it must be read."""
        held = [i for i in (self._indexes.get(site_id), self._spares.get(site_id)) if i]
        held = [i for i in held if i.complete]  # an incomplete one waits for vectors: read anew
        if not any(i.release_id is not None and i.model == model for i in held):
            return None
        version, release_id = await self._run_db(live_state, site_id)
        if release_id is None:
            return None
        for index in held:
            if index.release_id == release_id and index.model == model:
                return replace(index, version=version)
        current = held[0] if held and held[0] is self._indexes.get(site_id) else None
        if (
            current is not None
            and current.release_id is not None
            and current.model == model
            and await self._run_db(same_chunks, current.release_id, release_id)
        ):
            return replace(current, version=version, release_id=release_id)
        return None

    async def _check(self, site_id: int) -> None:
        try:
            version = await self._run_db(site_version, site_id)
            current = self._indexes.get(site_id)
            if current is not None and version != current.version:
                await self.reload(site_id)
        except Exception:  # noqa: BLE001 - a failed check is retried at the next search
            log.exception("checking the knowledge version of site %s failed", site_id)

    async def on_event(self, event: Event) -> None:
        if event.type != EventType.KNOWLEDGE_UPDATED:
            return
        data = event.data
        site_id = int(data.get("site_id") or 0)
        if site_id in self._indexes:
            index = await self.reload(site_id)
            if int(data.get("version") or 0) > index.version:
                await self.reload(site_id)  # the load in flight had read an older version

    async def resync(self) -> None:
        """After a (re)subscription: events may have been missed; re-check every cached site."""
        await asyncio.gather(*(self._check(site_id) for site_id in list(self._indexes)))

    def forget(self, site_id: int) -> None:
        self._indexes.pop(site_id, None)
        self._spares.pop(site_id, None)

    def cached_sites(self) -> dict[int, int]:
        return {sid: idx.version for sid, idx in self._indexes.items()}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _vector_top(
    embedder: Embedder, index: SiteIndex, query: str, k: int
) -> list[tuple[int, float]]:
    if not len(index.vectors):
        return []
    return index.vectors.top(query_vectors.shared.vector(embedder, query), k)
