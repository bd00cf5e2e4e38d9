"""Stored conversations: sessions and turns, always read through tenant and site."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peewee import fn

from sitespeak.db.connection import database
from sitespeak.db.models import utcnow
from sitespeak.errors import NotFound
from sitespeak.voice.models import VoiceSession, VoiceTurn


def open_session(
    session_id: str,
    tenant_id: int,
    site_id: int,
    page_url: str,
    locale: str,
    client_ip: str,
    provider: dict[str, str],
) -> None:
    """Insert the session, or count one more connection when a client resumes it."""
    (
        VoiceSession.insert(
            id=session_id,
            tenant=tenant_id,
            site=site_id,
            page_url=page_url,
            locale=locale,
            client_ip=client_ip,
            provider=provider,
        )
        .on_conflict(
            conflict_target=[VoiceSession.id],
            update={
                VoiceSession.connections: VoiceSession.connections + 1,
                VoiceSession.ended_at: None,
            },
        )
        .execute()
    )


def close_session(session_id: str) -> None:
    VoiceSession.update(ended_at=utcnow()).where(VoiceSession.id == session_id).execute()


def record_turn(session_id: str, tenant_id: int, site_id: int, turn: dict[str, Any]) -> None:
    VoiceTurn.insert(session=session_id, tenant=tenant_id, site=site_id, **turn).on_conflict(
        conflict_target=[VoiceTurn.session, VoiceTurn.seq], preserve=[VoiceTurn.answer]
    ).execute()
    _take_early_vote(session_id, tenant_id, site_id, turn["seq"])
    (
        VoiceSession.update(turn_count=VoiceSession.turn_count + 1, last_turn_at=utcnow())
        .where(VoiceSession.id == session_id)
        .execute()
    )


# How far back a vote that came before its turn is looked for: the turn is recorded in the
# background once answered, a vote beacon can only be seconds ahead of it.
EARLY_VOTE_WINDOW = "10 minutes"


def _take_early_vote(session_id: str, tenant_id: int, site_id: int, seq: int) -> None:
    """The visitor's latest vote on this turn, when its beacon was stored before the turn was:
    the turn is recorded in the background after the answer is sent, so a quick thumbs-down
    could reach the worker first and, finding no turn to mark, was lost. Same site and tenant
    only, as for a vote that finds its turn (``analytics.store.record_votes``)."""
    database.execute_sql(
        "UPDATE voice_turns t SET feedback = v.value FROM ("
        "  SELECT data->>'value' AS value FROM analytics_events"
        "  WHERE site_id = %s AND tenant_id = %s AND kind = 'feedback'"
        f"  AND at >= now() - interval '{EARLY_VOTE_WINDOW}'"
        "  AND data->>'voice_session' = %s AND data->>'turn' = %s"
        "  ORDER BY at DESC, id DESC LIMIT 1"
        ") v WHERE t.session_id = %s AND t.seq = %s",
        (site_id, tenant_id, session_id, str(seq), session_id, seq),
    )


def _session_view(row: VoiceSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "site_id": row.site_id,
        "page_url": row.page_url,
        "locale": row.locale,
        "provider": row.provider,
        "turn_count": row.turn_count,
        "connections": row.connections,
        "started_at": row.started_at.isoformat(),
        "last_turn_at": row.last_turn_at.isoformat() if row.last_turn_at else None,
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
    }


def _turn_view(row: VoiceTurn) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "input_mode": row.input_mode,
        "transcript": row.transcript,
        "answer": row.answer,
        "covered": row.covered,
        "interrupted": row.interrupted,
        "citations": row.citations,
        "actions": row.actions,
        "timings": row.timings,
        "provider": row.provider,
        "feedback": row.feedback,
        "created_at": row.created_at.isoformat(),
    }


def list_sessions(tenant_id: int, site_id: int, limit: int = 50) -> dict[str, Any]:
    query = (
        VoiceSession.select()
        .where(VoiceSession.tenant == tenant_id, VoiceSession.site == site_id)
        .order_by(VoiceSession.started_at.desc(), VoiceSession.id.desc())
        .limit(limit)
    )
    total = (
        VoiceSession.select(fn.COUNT(VoiceSession.id))
        .where(VoiceSession.tenant == tenant_id, VoiceSession.site == site_id)
        .scalar()
    )
    return {"items": [_session_view(r) for r in query], "total": total}


def get_session(tenant_id: int, site_id: int, session_id: str) -> dict[str, Any]:
    row = VoiceSession.get_or_none(
        VoiceSession.id == session_id,
        VoiceSession.tenant == tenant_id,
        VoiceSession.site == site_id,
    )
    if row is None:
        raise NotFound(f"no conversation {session_id!r} on this site")
    turns = (
        VoiceTurn.select()
        .where(VoiceTurn.session == session_id, VoiceTurn.tenant == tenant_id)
        .order_by(VoiceTurn.seq)
    )
    return {**_session_view(row), "turns": [_turn_view(t) for t in turns]}


# Every question answered / at least one it could not answer / a visitor voted an answer down.
OUTCOMES = ("answered", "gap", "not_helpful")


def list_conversations(
    tenant_id: int,
    site_id: int,
    *,
    outcome: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Conversations as an owner reads them: only those with a question, each with its first
    question and how it went, newest first. ``since``/``until`` are UTC days, both included."""
    where = ["s.tenant_id = %s", "s.site_id = %s"]
    params: list[Any] = [tenant_id, site_id]
    if outcome == "answered":
        where.append("c.gaps = 0")
    elif outcome == "gap":
        where.append("c.gaps > 0")
    elif outcome == "not_helpful":
        where.append("c.down_votes > 0")
    if since is not None:
        where.append("s.started_at >= %s")
        params.append(dt.datetime.combine(since, dt.time(), dt.UTC))
    if until is not None:
        where.append("s.started_at < %s")
        params.append(dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC))
    body = (
        "FROM voice_sessions s "
        "JOIN LATERAL (SELECT transcript, input_mode FROM voice_turns t "
        "  WHERE t.session_id = s.id ORDER BY t.seq LIMIT 1) f ON true "
        "JOIN LATERAL (SELECT count(*) AS turns, count(*) FILTER (WHERE NOT covered) AS gaps, "
        "  count(*) FILTER (WHERE feedback = 'down') AS down_votes "
        "  FROM voice_turns t WHERE t.session_id = s.id) c ON true "
        f"WHERE {' AND '.join(where)} "
    )
    rows = database.execute_sql(
        "SELECT s.id, s.page_url, s.started_at, f.transcript, f.input_mode, c.turns, c.gaps, "
        "c.down_votes " + body + "ORDER BY s.started_at DESC, s.id DESC LIMIT %s",
        (*params, limit),
    ).fetchall()
    total = database.execute_sql("SELECT count(*) " + body, params).fetchone()[0]
    items = [
        {
            "id": sid,
            "page_url": page_url,
            "started_at": started.isoformat(),
            "first_question": question,
            "first_mode": mode,
            "turns": int(turns),
            "unanswered": int(gaps),
            "not_helpful": int(down),
        }
        for sid, page_url, started, question, mode, turns, gaps, down in rows
    ]
    return {"items": items, "total": int(total)}


def page_origins(tenant_id: int, site_id: int, days: int = 30) -> list[str]:
    """The origins of the pages the widget ran on in the last ``days`` days."""
    rows = database.execute_sql(
        "SELECT DISTINCT substring(page_url from '^https?://[^/?#]+') FROM voice_sessions "
        "WHERE tenant_id = %s AND site_id = %s AND started_at >= now() - make_interval(days => %s)",
        (tenant_id, site_id, days),
    ).fetchall()
    return sorted(r[0].lower() for r in rows if r[0])
