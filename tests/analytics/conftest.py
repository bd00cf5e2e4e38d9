"""Fixtures of the analytics tests: sites of alice's and charlie's tenants, and raw rows
(events, voice turns) written at chosen moments."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from sitespeak.analytics import store
from sitespeak.db.models import Site
from sitespeak.voice import conversations


def event(kind: str, session: str = "sess-0001", **data) -> dict:
    """One event as the worker stores it (client id random unless given)."""
    client_id = data.pop("client_id", uuid.uuid4().hex)
    return {"client_id": client_id, "session_id": session, "kind": kind, "data": data}


def add_events(site: Site, at: dt.datetime, *events: dict) -> int:
    return store.store_events(site.tenant_id, site.id, list(events), at)


_sessions = itertools.count(1)


def add_turn(
    site: Site,
    at: dt.datetime,
    question: str,
    covered: bool = True,
    first_audio_ms: float = 400.0,
    feedback_ms: float = 100.0,
) -> None:
    session_id = f"vs-{uuid.uuid4().hex[:10]}"
    conversations.open_session(session_id, site.tenant_id, site.id, "", "en-US", "", {})
    conversations.record_turn(
        session_id,
        site.tenant_id,
        site.id,
        {
            "seq": 1,
            "input_mode": "text",
            "transcript": question,
            "answer": "an answer",
            "covered": covered,
            "timings": {"eos_to_first_audio_ms": first_audio_ms, "eos_to_started_ms": feedback_ms},
            "created_at": at,
        },
    )
    # The rollup pass marks only the last two hours' turns dirty by itself; older ones here.
    store.mark_dirty(site.id, [at])
