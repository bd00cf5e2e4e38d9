"""Per-session and per-IP turn limits (fixed one-minute windows in Redis, shared by replicas),
open sessions per client address (leases in Redis, box-wide) and the limits announced to the
client in session.ready."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections import Counter

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from sitespeak.settings import Settings
from sitespeak.voice.protocol import Limits

log = logging.getLogger(__name__)
WINDOW = 60


def announced(settings: Settings) -> Limits:
    return Limits(
        max_frame_bytes=settings.voice_max_frame_bytes,
        max_turn_seconds=settings.voice_max_turn_seconds,
        turns_per_minute=settings.voice_turns_per_minute,
        idle_timeout_seconds=settings.voice_idle_timeout,
    )


# Drop the address's expired leases, then add one more session if the address is under its cap.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


class AddressSessions:
    """Voice sessions open per client address across the box: one address cannot hold every
    slot (300 sessions from one address were accepted), whichever web process it reaches.

    Counted in Redis, one sorted set per address whose members are sessions, scored by when
    their lease runs out. The process holding a session renews its lease every third of
    ``lease``; a process that dies stops renewing, so its sessions stop counting ``lease``
    seconds later at the latest and nothing is left behind. When Redis cannot be reached the
    count falls back to this process's own sessions (the cap still holds per process)."""

    def __init__(self, cap: int, redis: aioredis.Redis, prefix: str, lease: float) -> None:
        self.cap = cap
        self._redis = redis
        self._prefix = f"{prefix}:voice:addresses"
        self._lease = lease
        self._take = redis.register_script(_TAKE)
        self._me = secrets.token_hex(6)
        self._serial = itertools.count()
        self._held: dict[str, str] = {}  # ticket -> address, the sessions this process holds
        self._local: Counter[str] = Counter()
        self._renewer: asyncio.Task | None = None
        self._forgetting: set[asyncio.Task] = set()

    async def take(self, address: str) -> str | None:
        """A ticket for one more session from ``address``, or None when it is at the cap."""
        if self._local[address] >= self.cap:  # this process alone holds the cap: no need to ask
            return None
        ticket = f"{self._me}:{next(self._serial)}"
        now = time.time()
        try:
            taken = await self._take(
                keys=[self._key(address)],
                args=[now, self.cap, now + self._lease, ticket, int(self._lease * 1000)],
            )
        except RedisError as exc:
            log.warning("voice sessions per address counted in this process only: %s", exc)
            taken = 1
        if not taken:
            return None
        self._held[ticket] = address
        self._local[address] += 1
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.ensure_future(self._keep_renewing())
        return ticket

    def give_back(self, ticket: str) -> None:
        """The session ended: its slot is free at once (or when its lease runs out, should
        Redis not take the news)."""
        address = self._held.pop(ticket, None)
        if address is None:
            return
        self._local[address] -= 1
        if self._local[address] <= 0:
            del self._local[address]
        task = asyncio.ensure_future(self._forget(address, ticket))
        self._forgetting.add(task)
        task.add_done_callback(self._forgetting.discard)

    def refusal(self, address: str) -> str:
        return f"too many voice sessions from your address (at most {self.cap} at once)"

    async def settle(self, timeout: float = 2.0) -> None:
        """Let the slots just given back reach Redis before the process stops: a drained
        process's sessions resume elsewhere at once and must not count for a lease meanwhile."""
        if self._forgetting:
            await asyncio.wait(set(self._forgetting), timeout=timeout)

    def _key(self, address: str) -> str:
        return f"{self._prefix}:{address}"

    async def _forget(self, address: str, ticket: str) -> None:
        try:
            await self._redis.zrem(self._key(address), ticket)
        except RedisError:
            pass  # no longer renewed: its lease runs out

    async def _keep_renewing(self) -> None:
        while self._held:
            await asyncio.sleep(self._lease / 3)
            try:
                await self.renew()
            except RedisError as exc:
                log.warning("voice session leases not renewed: %s", exc)

    async def renew(self) -> None:
        """Every session this process holds counts for another ``lease`` seconds (added again
        if Redis lost it meanwhile)."""
        until, ttl_ms = time.time() + self._lease, int(self._lease * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            for ticket, address in list(self._held.items()):
                pipe.zadd(self._key(address), {ticket: until})
                pipe.pexpire(self._key(address), ttl_ms)
            await pipe.execute()


class TurnLimiter:
    def __init__(self, redis: aioredis.Redis, settings: Settings) -> None:
        self._redis = redis
        self._prefix = f"{settings.redis_prefix}:voice:turns"
        self._per_session = settings.voice_turns_per_minute
        self._per_ip = settings.voice_ip_turns_per_minute

    @property
    def redis(self) -> aioredis.Redis:
        return self._redis

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
