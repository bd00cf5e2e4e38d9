"""The prepared set of a site in PostgreSQL: written whole by the preparation job, read by the
web process's matching (per knowledge version) and by the admin."""

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
            }
    with database.atomic():
        InstantAnswer.delete().where(InstantAnswer.site == site_id).execute()
        if rows:
            InstantAnswer.insert_many(list(rows.values())).execute()
    return len(rows)


def load_set(site_id: int, version: int) -> dict[str, list[Any]]:
    """normalised query -> passages, of the site's set prepared at ``version`` (else empty)."""
    from sitespeak.knowledge.retrieval import Passage

    query = InstantAnswer.select(InstantAnswer.normalised, InstantAnswer.passages).where(
        InstantAnswer.site == site_id, InstantAnswer.knowledge_version == version
    )
    return {row.normalised: [Passage(**p) for p in row.passages] for row in query}


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
