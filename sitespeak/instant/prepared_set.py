"""The prepared set of a site in PostgreSQL: written whole by the preparation job, read by the
web process's matching (per knowledge version) and by the admin.

A prepared answer stays valid across new knowledge versions for as long as the passages it was
composed from are unchanged: each still among the chunks visitors are answered from, with the
same words, title, heading and address. A knowledge update thus invalidates exactly the answers
whose passages changed (or went), and the next preparation searches again only for those."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sitespeak.db.connection import database
from sitespeak.db.models import utcnow
from sitespeak.instant.matching import normalise
from sitespeak.instant.models import InstantAnswer


@dataclass(frozen=True)
class Prepared:
    question: str  # as the job asked it
    query: str  # what the answer path searched for
    passages: list[Any]  # knowledge.retrieval.Passage
    answer: str  # what the voice says
    prepared_at: dt.datetime | None = None  # when it was searched for; None: now


def replace_set(tenant_id: int, site_id: int, version: int, answers: list[Prepared]) -> int:
    """The site's prepared set is now ``answers``, at knowledge ``version``."""
    rows: dict[str, dict[str, Any]] = {}
    for item in answers:
        key = normalise(item.query)
        if key and key not in rows:
            rows[key] = {
                "tenant": tenant_id,
                "site": site_id,
                "knowledge_version": version,
                "question": item.question,
                "normalised": key,
                "passages": [dataclasses.asdict(p) for p in item.passages],
                "answer": item.answer,
                "prepared_at": item.prepared_at or utcnow(),
            }
    with database.atomic():
        InstantAnswer.delete().where(InstantAnswer.site == site_id).execute()
        if rows:
            InstantAnswer.insert_many(list(rows.values())).execute()
    return len(rows)


def load_set(site_id: int, version: int) -> dict[str, list[Any]]:
    """normalised query -> passages, of the site's answers valid at ``version``: those prepared
    at it, and those prepared before whose passages have not changed since."""
    from sitespeak.knowledge.retrieval import Passage

    rows = list(
        InstantAnswer.select(
            InstantAnswer.id,
            InstantAnswer.normalised,
            InstantAnswer.passages,
            InstantAnswer.knowledge_version,
        ).where(InstantAnswer.site == site_id, InstantAnswer.knowledge_version <= version)
    )
    found = {row.normalised: row.passages for row in rows if row.knowledge_version == version}
    older = [row for row in rows if row.knowledge_version != version]
    for row, passages in unchanged(site_id, older) if older else []:
        found.setdefault(row.normalised, passages)
    return {key: [Passage(**p) for p in passages] for key, passages in found.items()}


def unchanged(
    site_id: int, rows: list[InstantAnswer]
) -> list[tuple[InstantAnswer, list[dict[str, Any]]]]:
    """Those of ``rows`` whose passages are all still live with the same words, each with its
    passages as they are now (a recrawled page's chunks get new ids, same words or not). An
    answer composed from no passage is never kept: the new knowledge may have what it lacked."""
    from sitespeak.knowledge.site_index import IN_LIVE_RELEASE

    urls = sorted({p["url"] for row in rows for p in row.passages})
    if not urls:
        return []
    cursor = database.execute_sql(
        "SELECT c.id, c.url, c.anchor, c.title, c.heading, c.text FROM chunks c "
        f"WHERE c.site_id = %(site)s AND c.url = ANY(%(urls)s) AND {IN_LIVE_RELEASE}",
        {"site": site_id, "urls": urls},
    )
    live = {tuple(found[1:]): found[0] for found in cursor}
    kept = []
    for row in rows:
        ids = [live.get(_words(p)) for p in row.passages]
        if row.passages and None not in ids:
            passages = [{**p, "chunk_id": id_} for p, id_ in zip(row.passages, ids, strict=True)]
            kept.append((row, passages))
    return kept


def current_ids(site_id: int, version: int, rows: list[InstantAnswer]) -> set[int]:
    """Ids of those of ``rows`` valid at ``version`` (prepared at it, or with unchanged
    passages), for the admin's current/outdated mark."""
    older = [row for row in rows if row.knowledge_version < version]
    return {row.id for row in rows if row.knowledge_version == version} | {
        row.id for row, _ in (unchanged(site_id, older) if older else [])
    }


def _words(passage: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(passage.get(key) for key in ("url", "anchor", "title", "heading", "text"))


def carry_forward(tenant_id: int, site_id: int, version: int) -> dict[str, Prepared]:
    """The site's answers whose passages are unchanged, moved to ``version`` at once (a turn
    matches them without waiting for the rest of the preparation), by the question the job
    asked; the others stay behind, to be prepared again or dropped."""
    from sitespeak.knowledge.retrieval import Passage

    rows = list(
        InstantAnswer.select().where(
            InstantAnswer.tenant == tenant_id,
            InstantAnswer.site == site_id,
            InstantAnswer.knowledge_version <= version,
        )
    )
    kept = unchanged(site_id, rows)
    with database.atomic():
        for row, passages in kept:
            if row.knowledge_version != version or passages != row.passages:
                InstantAnswer.update(knowledge_version=version, passages=passages).where(
                    InstantAnswer.id == row.id
                ).execute()
    return {
        row.question: Prepared(
            row.question,
            row.normalised,
            [Passage(**p) for p in passages],
            row.answer,
            row.prepared_at,
        )
        for row, passages in kept
    }


def site_set(tenant_id: int, site_id: int) -> list[InstantAnswer]:
    """The site's prepared answers, for its owner's eyes."""
    return list(
        InstantAnswer.select()
        .where(InstantAnswer.tenant == tenant_id, InstantAnswer.site == site_id)
        .order_by(InstantAnswer.id)
    )


def hit_rate(tenant_id: int, site_id: int, days: int, now: dt.datetime | None = None) -> Rate:
    """Of the site's voice turns in the last ``days``, how many spoke an instant answer (their
    first audio came from the prepared phrases: the turn's ``instant`` timing flag)."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    cursor = database.execute_sql(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE (timings->>'instant')::float = 1) "
        "FROM voice_turns WHERE tenant_id = %s AND site_id = %s AND created_at >= %s",
        (tenant_id, site_id, since),
    )
    turns, instant = cursor.fetchone()
    return Rate(int(turns), int(instant), days)


@dataclass(frozen=True)
class Rate:
    turns: int
    instant: int
    days: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.instant / self.turns, 1) if self.turns else None
