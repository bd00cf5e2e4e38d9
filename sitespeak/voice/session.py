"""Session state in Redis with a TTL, so a reconnecting client continues the conversation on
any web replica. The resume id is a secret bearer of the state; the session id is public."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import asdict, dataclass, field

import redis.asyncio as aioredis

HISTORY_TURNS = 6  # what the answerer may look back on; older turns stay in PostgreSQL


@dataclass
class SessionState:
    session_id: str
    resume_id: str
    tenant_id: int
    site_id: int
    turns: int = 0
    history: list[dict[str, str]] = field(default_factory=list)

    def remember(self, question: str, answer: str) -> None:
        self.history = (self.history + [{"q": question, "a": answer}])[-HISTORY_TURNS:]


class SessionStore:
    def __init__(self, redis: aioredis.Redis, prefix: str, ttl: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = max(int(ttl), 1)

    def _key(self, resume_id: str) -> str:
        return f"{self._prefix}:voice:resume:{resume_id}"

    def new(self, tenant_id: int, site_id: int) -> SessionState:
        return SessionState(
            str(uuid.uuid4()), "vr_" + secrets.token_urlsafe(24), tenant_id, site_id
        )

    async def resume(self, resume_id: str, site_id: int) -> SessionState | None:
        """The stored state, if it exists, has not expired and belongs to this site."""
        raw = await self._redis.get(self._key(resume_id))
        if raw is None:
            return None
        state = SessionState(**json.loads(raw))
        return state if state.site_id == site_id else None

    async def save(self, state: SessionState) -> None:
        await self._redis.set(self._key(state.resume_id), json.dumps(asdict(state)), ex=self._ttl)
