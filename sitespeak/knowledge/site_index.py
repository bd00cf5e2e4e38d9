"""One site's in-memory retrieval index: its chunk vectors (for one embedder) and the fields a
passage needs. Loaded from Postgres, the store of record; replaced whole when the site changes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sitespeak.db.connection import database
from sitespeak.knowledge.vectors import VectorIndex

Meta = tuple[str, str | None, str, str, str]  # url, anchor, title, heading, text


@dataclass
class SiteIndex:
    site_id: int
    version: int
    model: str
    vectors: VectorIndex
    _meta: dict[int, Meta] = field(default_factory=dict)
    # The live release it holds (None: the site's current chunks, before its first release).
    # A release's passages never change, so a complete index of one can be reused whatever the
    # version says.
    release_id: int | None = None
    # Every passage it answers from has its vector: an upload's release goes live before its
    # vectors are in (sitespeak.hosting.knowledge), and an index read meanwhile is read again.
    complete: bool = True

    def meta(self, chunk_id: int) -> Meta | None:
        return self._meta.get(chunk_id)

    @property
    def nbytes(self) -> int:
        text = sum(sum(len(s or "") for s in m) for m in self._meta.values())
        return self.vectors.nbytes + text + 120 * len(self._meta)  # rough per-entry overhead


def site_version(site_id: int) -> int:
    return live_state(site_id)[0]


def live_state(site_id: int) -> tuple[int, int | None]:
    """The site's knowledge version and live release (-1, None for no such site)."""
    row = database.execute_sql(
        "SELECT knowledge_version, live_release_id FROM sites WHERE id = %s", (site_id,)
    ).fetchone()
    return (int(row[0]), row[1]) if row else (-1, None)


def same_chunks(release_a: int, release_b: int) -> bool:
    """Whether two releases hold the same chunks (an edit of the voice or the actions makes a
    release of the live one's chunks: its index is the one in memory)."""
    row = database.execute_sql(
        "SELECT (SELECT count(*) FROM release_chunks WHERE release_id = %(a)s) = "
        "(SELECT count(*) FROM release_chunks WHERE release_id = %(b)s) AND NOT EXISTS "
        "(SELECT chunk_id FROM release_chunks WHERE release_id = %(a)s EXCEPT "
        "SELECT chunk_id FROM release_chunks WHERE release_id = %(b)s)",
        {"a": release_a, "b": release_b},
    ).fetchone()
    return bool(row[0])


# The chunks visitors are answered from (``c`` is the chunks row, %(site)s the site): those of
# the site's live release, or, before its first publish, every chunk no crawl has retired.
IN_LIVE_RELEASE = """
CASE WHEN (SELECT live_release_id FROM sites WHERE id = %(site)s) IS NULL THEN NOT c.retired
ELSE EXISTS (SELECT 1 FROM release_chunks rc WHERE rc.chunk_id = c.id
             AND rc.release_id = (SELECT live_release_id FROM sites WHERE id = %(site)s)) END
"""


LIVE_CHUNKS = """
SELECT c.id, c.url, c.anchor, c.title, c.heading, c.text, c.embedding FROM chunks c
WHERE c.site_id = %(site)s AND c.embed_model = %(model)s AND c.embedding IS NOT NULL AND {live}
ORDER BY c.id
"""
# Whether any passage visitors are answered from still waits for its vector of the model.
WAITING = """
SELECT EXISTS (SELECT 1 FROM chunks c WHERE c.site_id = %(site)s
               AND (c.embedding IS NULL OR c.embed_model IS DISTINCT FROM %(model)s) AND {live})
"""


def load_site_index(site_id: int, model: str, dim: int = 0) -> SiteIndex:
    """Read the live embedded chunks of the site; call inside one transaction for a consistent
    view (the version and the live release are read with them)."""
    version, release_id = live_state(site_id)
    params = {"site": site_id, "model": model}
    cursor = database.execute_sql(LIVE_CHUNKS.format(live=IN_LIVE_RELEASE), params)
    ids, blobs, meta = [], [], {}
    for cid, url, anchor, title, heading, text, blob in cursor:
        ids.append(cid)
        blobs.append(bytes(blob))
        meta[cid] = (url, anchor, title, heading, text)
    if blobs:
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
    else:
        matrix = np.zeros((0, dim or 1), dtype=np.float32)
    waiting = database.execute_sql(WAITING.format(live=IN_LIVE_RELEASE), params).fetchone()[0]
    vectors = VectorIndex(np.array(ids), matrix)
    return SiteIndex(site_id, version, model, vectors, meta, release_id, complete=not waiting)
