"""Server-side admin sessions in Redis, each with its own CSRF token.

The cookie holds a random id; Redis keeps only its SHA-256, so a copy of Redis gives no usable
cookies. Each user has a set of their session keys: "log out everywhere" deletes them all.
Anonymous visitors get a short-lived session only when a form (login, setup) needs a CSRF token;
login replaces it with a fresh id (no session fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

import redis.asyncio as aioredis

from sitespeak.errors import Forbidden

ANONYMOUS_TTL = 1800


@dataclass
class Session:
    sid: str  # the cookie value; never stored
    user_id: int | None
    tenant_id: int | None
    csrf: str
    created: float
    flash: dict | None = None  # shown once by the next page (a new token, an invite link)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def check_csrf(self, submitted: str | None) -> None:
        if not submitted or not hmac.compare_digest(submitted.encode(), self.csrf.encode()):
            raise Forbidden(
                "the form's CSRF token is missing or stale; reload the page and try again",
                code="csrf",
            )


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    def __init__(self, client: aioredis.Redis, prefix: str, idle: float, max_age: float) -> None:
        self._client = client
        self._prefix = prefix
        self._idle = int(idle)
        self._max_age = max_age

    def _key(self, sid: str) -> str:
        return f"{self._prefix}:session:{_digest(sid)}"

    def _user_key(self, user_id: int) -> str:
        return f"{self._prefix}:user-sessions:{user_id}"

    async def create(self, user_id: int | None, tenant_id: int | None) -> Session:
        session = Session(
            secrets.token_urlsafe(32), user_id, tenant_id, secrets.token_urlsafe(32), time.time()
        )
        await self.save(session)
        return session

    async def save(self, session: Session) -> None:
        data = {k: v for k, v in asdict(session).items() if k != "sid"}
        ttl = self._idle if session.authenticated else ANONYMOUS_TTL
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(self._key(session.sid), json.dumps(data), ex=ttl)
            if session.authenticated and session.user_id is not None:
                pipe.sadd(self._user_key(session.user_id), _digest(session.sid))
                pipe.expire(self._user_key(session.user_id), int(self._max_age))
            await pipe.execute()

    async def load(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 100:
            return None
        raw = await self._client.get(self._key(sid))
        if raw is None:
            return None
        session = Session(sid=sid, **json.loads(raw))
        if session.authenticated and time.time() - session.created > self._max_age:
            await self.destroy(session)
            return None
        if session.authenticated:  # sliding idle timeout
            await self._client.expire(self._key(sid), self._idle)
        return session

    async def pop_flash(self, session: Session, kind: str) -> dict | None:
        """Take the one-time message of this kind (it is gone after this page)."""
        if not session.flash or session.flash.get("kind") != kind:
            return None
        flash, session.flash = session.flash, None
        await self.save(session)
        return flash

    async def destroy(self, session: Session) -> None:
        await self._client.delete(self._key(session.sid))
        if session.user_id is not None:
            await self._client.srem(self._user_key(session.user_id), _digest(session.sid))

    async def destroy_all(self, user_id: int) -> int:
        """Log the user out everywhere; returns how many sessions ended."""
        user_key = self._user_key(user_id)
        digests = await self._client.smembers(user_key)
        keys = [f"{self._prefix}:session:{_text(d)}" for d in digests]
        ended = await self._client.delete(*keys) if keys else 0
        await self._client.delete(user_key)
        return ended

    async def count(self, user_id: int) -> int:
        digests = await self._client.smembers(self._user_key(user_id))
        keys = [f"{self._prefix}:session:{_text(d)}" for d in digests]
        return await self._client.exists(*keys) if keys else 0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
