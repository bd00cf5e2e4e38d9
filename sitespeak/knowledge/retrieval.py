"""Hybrid retrieval for one site: Postgres full-text search and in-process vector similarity,
fused by reciprocal rank fusion (RRF). Every query is filtered by site id in SQL and every
in-process index holds one site's chunks only, so no code path mixes sites.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sitespeak.db.connection import database
from sitespeak.knowledge import query_vectors
from sitespeak.knowledge.embedders import Embedder
from sitespeak.knowledge.site_index import IN_LIVE_RELEASE, SiteIndex, load_site_index
from sitespeak.questions import search_query

RRF_K = 60  # the usual constant: damps the weight of the very first ranks
CANDIDATES = 30  # per list, before fusion


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    site_id: int
    url: str
    anchor: str | None
    title: str
    heading: str
    text: str
    score: float


# Ranking every match of a common word costs ~0.1 ms a row, so at most RANK_CAP matches (in
# index order) are ranked: a bounded cost on big sites; the vector half covers what it misses.
RANK_CAP = 1000
LEXICAL_SQL = """
SELECT m.id, m.url, m.anchor, m.title, m.heading, m.text
FROM (SELECT c.id, c.url, c.anchor, c.title, c.heading, c.text, c.tsv
        FROM chunks c WHERE c.site_id = %(site)s AND c.tsv @@ {query} AND {live}
        LIMIT %(cap)s) m
ORDER BY ts_rank(m.tsv, {query}) DESC, m.id
LIMIT %(limit)s
"""
ALL_WORDS = "websearch_to_tsquery('english', %(q)s)"
# websearch_to_tsquery ANDs the words; a spoken question rarely has every word in one chunk,
# so fall back to OR-ing its lexemes.
ANY_WORD = (
    "(SELECT to_tsquery('english', string_agg(quote_literal(lexeme), ' | ')) "
    "FROM unnest(to_tsvector('english', %(q)s)))"
)

LEXICAL_ALL_WORDS = LEXICAL_SQL.format(query=ALL_WORDS, live=IN_LIVE_RELEASE)
LEXICAL_ANY_WORD = LEXICAL_SQL.format(query=ANY_WORD, live=IN_LIVE_RELEASE)


def lexical(site_id: int, query: str, limit: int = CANDIDATES) -> list[tuple]:
    """(id, url, anchor, title, heading, text) rows of the site, best full-text match first.
    The question's words are searched with the words its facts are written with ("where" ->
    "address", "street"), so a question finds the page that answers it."""
    params = {"q": search_query(query), "site": site_id, "cap": RANK_CAP, "limit": limit}
    rows = list(database.execute_sql(LEXICAL_ALL_WORDS, params).fetchall())
    if len(rows) < limit:
        seen = {r[0] for r in rows}
        extra = database.execute_sql(LEXICAL_ANY_WORD, params).fetchall()
        rows += [r for r in extra if r[0] not in seen][: limit - len(rows)]
    return rows


def fuse(rankings: Iterable[list[int]], k: int) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


def passages(
    site_id: int, fused: list[tuple[int, float]], lexical_rows: list[tuple], index: SiteIndex
) -> list[Passage]:
    """Build passages from what is at hand: lexical rows carry their text, vector hits come
    from the site's index (which only ever holds this site's chunks)."""
    by_id = {row[0]: row[1:] for row in lexical_rows}
    found = []
    for chunk_id, score in fused:
        meta = by_id.get(chunk_id) or index.meta(chunk_id)
        if meta is None:
            continue  # deleted since the index was loaded
        url, anchor, title, heading, text = meta
        found.append(Passage(chunk_id, site_id, url, anchor, title, heading, text, score))
    return found


def search(
    site_id: int, query: str, k: int = 5, *, embedder: Embedder, index: SiteIndex | None = None
) -> list[Passage]:
    """Top-k passages of one site for a question (sync; opens the site's index if not given)."""
    if not query.strip() or k <= 0:
        return []
    vector = query_vectors.shared.vector(embedder, query.strip())
    return search_with_vector(site_id, query, k, model=embedder.name, vector=vector, index=index)


def search_with_vector(
    site_id: int,
    query: str,
    k: int = 5,
    *,
    model: str,
    vector: np.ndarray | None,
    index: SiteIndex | None = None,
) -> list[Passage]:
    """``search`` with the question's vector already at hand (another process embedded it with
    ``model``); without one (None), by keywords alone."""
    query = query.strip()
    if not query or k <= 0:
        return []
    index = index or load_site_index(site_id, model)
    lexical_rows = lexical(site_id, query, max(CANDIDATES, k))
    vector_ids = []
    if vector is not None:
        vector_ids = [cid for cid, _ in index.vectors.top(vector, max(CANDIDATES, k))]
    fused = fuse([[r[0] for r in lexical_rows], vector_ids], k)
    return passages(site_id, fused, lexical_rows, index)
