"""Login throttling: a per-address rate limit and a per-account lockout after wrong passwords.

The lockout is per e-mail (whether or not the account exists, so it tells an attacker nothing);
a correct password during the lock is still refused, or the lock would only slow guessing down.
"""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from sitespeak import ratelimit
from sitespeak.errors import TooManyRequests
from sitespeak.settings import Settings


def _keys(prefix: str, email: str) -> tuple[str, str]:
    ident = email.strip().lower()
    return f"{prefix}:login-fail:{ident}", f"{prefix}:login-lock:{ident}"


class LoginGuard:
    def __init__(self, client: aioredis.Redis, settings: Settings) -> None:
        self._client = client
        self._prefix = settings.redis_prefix
        self._max_failures = settings.login_max_failures
        self._lockout = int(settings.login_lockout_seconds)
        self._per_address = ratelimit.Limit("login", settings.login_rate_per_minute, 60)

    async def before_attempt(self, email: str, address: str) -> None:
        """Raise TooManyRequests if this address is too busy or the account is locked."""
        await ratelimit.enforce(self._client, self._prefix, self._per_address, address)
        _, lock = _keys(self._prefix, email)
        ttl = await self._client.ttl(lock)
        if ttl and ttl > 0:
            raise TooManyRequests(
                f"too many wrong passwords: this account is locked for {_minutes(ttl)}",
                retry_after=ttl,
                code="locked",
            )

    async def failed(self, email: str) -> int:
        """Count a wrong password; lock the account when the count reaches the limit."""
        fails, lock = _keys(self._prefix, email)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(fails)
            pipe.expire(fails, self._lockout)
            count, _ = await pipe.execute()
        if count >= self._max_failures:
            await self._client.set(lock, "1", ex=self._lockout)
            await self._client.delete(fails)
        return int(count)

    async def succeeded(self, email: str) -> None:
        await self._client.delete(_keys(self._prefix, email)[0])


def unlock(client: redis.Redis, prefix: str, email: str) -> bool:
    """Lift a lockout (CLI); True if the account was locked."""
    return bool(client.delete(*_keys(prefix, email)))


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
