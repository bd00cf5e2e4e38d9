"""Per-session and per-IP turn limits (fixed one-minute windows in Redis, shared by replicas)
and the limits announced to the client in session.ready."""

from __future__ import annotations

import time
from collections import Counter

import redis.asyncio as aioredis

from sitespeak.settings import Settings
from sitespeak.voice.protocol import Limits

WINDOW = 60


def announced(settings: Settings) -> Limits:
    return Limits(
        max_frame_bytes=settings.voice_max_frame_bytes,
        max_turn_seconds=settings.voice_max_turn_seconds,
        turns_per_minute=settings.voice_turns_per_minute,
        idle_timeout_seconds=settings.voice_idle_timeout,
    )


class AddressSessions:
    """Voice sessions open per client address in this process: one address cannot hold every
    slot (300 sessions from one address were accepted). In-process on purpose: it needs no
    Redis, and a crash cannot leave counts behind."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._open: Counter[str] = Counter()

    def take(self, address: str) -> bool:
        if self._open[address] >= self.cap:
            return False
        self._open[address] += 1
        return True

    def give_back(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def refusal(self, address: str) -> str:
        return f"too many voice sessions from your address (at most {self.cap} at once)"


class TurnLimiter:
    def __init__(self, redis: aioredis.Redis, settings: Settings) -> None:
        self._redis = redis
        self._prefix = f"{settings.redis_prefix}:voice:turns"
        self._per_session = settings.voice_turns_per_minute
        self._per_ip = settings.voice_ip_turns_per_minute

    async def refusal(self, session_id: str, ip: str) -> str | None:
        """Count one turn; a reason when it goes over a limit, else None."""
        window = int(time.time() // WINDOW)
        keys = (f"{self._prefix}:s:{session_id}:{window}", f"{self._prefix}:ip:{ip}:{window}")
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, WINDOW * 2)
            counts = (await pipe.execute())[0::2]
        if counts[0] > self._per_session:
            return f"more than {self._per_session} turns a minute in this session"
        if counts[1] > self._per_ip:
            return f"more than {self._per_ip} turns a minute from this address"
        return None
