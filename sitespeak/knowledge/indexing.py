"""Embedding a site's chunks: only chunks without a vector from the current embedder (new or
changed text, or everything after a model change), in batches, each batch committed on its own
so a killed worker loses at most one batch of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.knowledge.embedders import Embedder
from sitespeak.knowledge.models import Chunk

UPDATED = "knowledge-base.updated"  # every web process reloads the site's index on it
Publish = Callable[[str, int | None, dict[str, Any]], None]


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
) -> dict:
    done = 0
    total = pending_count(site_id, embedder.name)
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
        with database.atomic():
            for chunk, vector in zip(batch, vectors, strict=True):
                Chunk.update(
                    embedding=vector.astype("float32").tobytes(), embed_model=embedder.name
                ).where(Chunk.id == chunk.id).execute()
        done += len(batch)
        if progress:
            progress(site_id=site_id, embedded=done, total=total)
    if done:
        Site.update(knowledge_version=Site.knowledge_version + 1).where(
            Site.id == site_id
        ).execute()
    return {"embedded": done, "model": embedder.name, "dim": embedder.dim}


def _input(chunk: Chunk) -> str:
    head = f"{chunk.title} — {chunk.heading}" if chunk.heading else chunk.title
    return f"{head}\n{chunk.text}".strip()


def announce(publish: Publish, site: Site) -> None:
    """Tell every web process the site's knowledge changed (its new version)."""
    version = Site.get_by_id(site.id).knowledge_version
    publish(UPDATED, site.tenant_id, {"site_id": site.id, "version": version})
