"""Fixed-window rate limits in Redis, shared by every web process of an install.

One counter per (bucket, identity, window): INCR then EXPIRE in one round trip. A fixed window
lets a client burst up to twice the limit across a boundary; that is fine for abuse control
(login, key exchange, voice session start, public ingest) and keeps each check one pipeline.
Both an asyncio variant (web handlers) and a blocking one (worker, CLI) are provided.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis

from sitespeak.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    bucket: str  # what is limited: "login", "voice-start"...
    limit: int  # allowed hits per window
    window: float  # seconds


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    retry_after: float  # seconds until the window resets

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)


def _key(prefix: str, rule: Limit, identity: str, now: float) -> tuple[str, float]:
    window_index = int(now // rule.window)
    reset_in = (window_index + 1) * rule.window - now
    return f"{prefix}:rl:{rule.bucket}:{identity}:{window_index}", reset_in


def _decide(rule: Limit, count: int, reset_in: float) -> Decision:
    return Decision(count <= rule.limit, count, rule.limit, round(reset_in, 3))


async def hit(client: aioredis.Redis, prefix: str, rule: Limit, identity: str) -> Decision:
    key, reset_in = _key(prefix, rule, identity, time.time())
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, int(rule.window) + 1)
        count, _ = await pipe.execute()
    return _decide(rule, int(count), reset_in)


def hit_sync(client: redis.Redis, prefix: str, rule: Limit, identity: str) -> Decision:
    key, reset_in = _key(prefix, rule, identity, time.time())
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, int(rule.window) + 1)
        count, _ = pipe.execute()
    return _decide(rule, int(count), reset_in)


async def enforce(client: aioredis.Redis, prefix: str, rule: Limit, identity: str) -> Decision:
    """``hit`` that raises TooManyRequests (HTTP 429 with Retry-After) when over the limit."""
    decision = await hit(client, prefix, rule, identity)
    if not decision.allowed:
        raise TooManyRequests(
            f"too many {rule.bucket} requests; retry in {max(1, round(decision.retry_after))} s",
            retry_after=decision.retry_after,
        )
    return decision


async def reset(client: aioredis.Redis, prefix: str, rule: Limit, identity: str) -> None:
    key, _ = _key(prefix, rule, identity, time.time())
    await client.delete(key)
