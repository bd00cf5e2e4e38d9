"""Embedding a site's chunks: only chunks without a vector from the current embedder (new or
changed text, or everything after a model change), in batches, each batch committed on its own
so a killed worker loses at most one batch of work. A job's embedding stops between batches
when its worker stops; the count so far is its checkpoint (the chunks still without a vector
are what is left), so the resumed run still moves the knowledge version when it ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg2 import Binary

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.errors import JobInterrupted
from sitespeak.events.bus import EventType, Publish
from sitespeak.knowledge.embedders import Embedder
from sitespeak.knowledge.models import Chunk


def pending_count(site_id: int, model: str) -> int:
    return (
        Chunk.select()
        .where(Chunk.site == site_id, (Chunk.embedding.is_null()) | (Chunk.embed_model != model))
        .count()
    )


def embed_site(
    site_id: int,
    embedder: Embedder,
    batch_size: int = 32,
    progress: Callable[..., None] | None = None,
    stopping: Callable[[], bool] | None = None,
    resume: dict[str, Any] | None = None,
) -> dict:
    """Embed what needs it; when ``stopping()`` turns true between two batches, raise
    JobInterrupted with the checkpoint that ``resume`` takes back."""
    done = _embedded_before(resume, embedder.name)
    total = done + pending_count(site_id, embedder.name)
    while True:
        batch = list(
            Chunk.select(Chunk.id, Chunk.title, Chunk.heading, Chunk.text)
            .where(
                Chunk.site == site_id,
                (Chunk.embedding.is_null()) | (Chunk.embed_model != embedder.name),
            )
            .order_by(Chunk.id)
            .limit(batch_size)
        )
        if not batch:
            break
        vectors = embedder.embed([_input(c) for c in batch])
        _store(batch, vectors, embedder.name)
        done += len(batch)
        if progress:
            progress(site_id=site_id, embedded=done, total=total)
        if stopping is not None and stopping():
            raise JobInterrupted({"embedded": done, "model": embedder.name})
    if done:
        Site.update(knowledge_version=Site.knowledge_version + 1).where(
            Site.id == site_id
        ).execute()
    return {"embedded": done, "model": embedder.name, "dim": embedder.dim}


def _store(batch: list[Chunk], vectors: Any, model: str) -> None:
    """A batch's vectors in one statement (one round trip, not one a chunk), one commit."""
    with database.atomic():
        database.execute_sql(
            "UPDATE chunks SET embedding = v.embedding, embed_model = %s "
            "FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, embedding) WHERE chunks.id = v.id",
            (
                model,
                [chunk.id for chunk in batch],
                [Binary(vector.astype("float32").tobytes()) for vector in vectors],
            ),
        )


def _embedded_before(checkpoint: dict[str, Any] | None, model: str) -> int:
    """How many chunks an interrupted earlier run of the job embedded with ``model``."""
    if not checkpoint or checkpoint.get("model") != model:
        return 0
    embedded = checkpoint.get("embedded")
    return embedded if isinstance(embedded, int) and embedded > 0 else 0


def _input(chunk: Chunk) -> str:
    head = f"{chunk.title} — {chunk.heading}" if chunk.heading else chunk.title
    return f"{head}\n{chunk.text}".strip()


def announce(publish: Publish, site: Site) -> None:
    """Tell every web process the site's knowledge changed (its new version)."""
    version = Site.get_by_id(site.id).knowledge_version
    publish(EventType.KNOWLEDGE_UPDATED, site.tenant_id, {"site_id": site.id, "version": version})
