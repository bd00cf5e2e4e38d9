"""The web process's prepared-set retriever over the real database, with what it did on record:
the queries it searched for and the knowledge versions whose prepared set it read."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sitespeak.db.models import Site
from sitespeak.instant.matching import PreparedRetrieval
from sitespeak.instant.prepared_set import load_set
from sitespeak.knowledge import retrieval
from sitespeak.knowledge.embedders import embedder_for
from sitespeak.settings import Settings


@dataclass
class Recorded:
    searched: list[str] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)


def prepared_retrieval(
    settings: Settings, check_every: float = 0.0, threaded: bool = False
) -> tuple[PreparedRetrieval, Recorded]:
    """``check_every=0``: the prepared set is read again on every turn. ``threaded``: read off
    the event loop, as the web process reads it (a turn then waits for the read, so turns asking
    at once overlap); it sees only committed rows."""
    embedder = embedder_for(settings)
    seen = Recorded()

    async def search(site_id: int, query: str, k: int) -> list:
        seen.searched.append(query)
        return retrieval.search(site_id, query, k, embedder=embedder)

    async def version(site_id: int) -> int:
        return Site.get_by_id(site_id).knowledge_version

    async def prepared(site_id: int, at: int) -> dict:
        seen.reads.append(at)
        if threaded:
            return await asyncio.to_thread(load_set, site_id, at)
        return load_set(site_id, at)

    return PreparedRetrieval(search, version, prepared, check_every), seen
