"""Login throttling: a per-address rate limit and a lockout after wrong passwords.

The lockout is per e-mail and client address (whether or not the account exists, so it tells an
attacker nothing): wrong passwords from one address lock that address out of that account, and
the owner signing in from elsewhere is not locked out by them. A correct password during the
lock is still refused from the locked address, or the lock would only slow guessing down.
"""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from sitespeak import ratelimit
from sitespeak.errors import TooManyRequests
from sitespeak.settings import Settings


def _keys(prefix: str, email: str, address: str) -> tuple[str, str]:
    ident = f"{email.strip().lower()}|{address}"
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
        _, lock = _keys(self._prefix, email, address)
        ttl = await self._client.ttl(lock)
        if ttl and ttl > 0:
            raise TooManyRequests(
                f"too many wrong passwords: this account is locked for {_minutes(ttl)}",
                retry_after=ttl,
                code="locked",
            )

    async def failed(self, email: str, address: str) -> int:
        """Count a wrong password; lock the account for this address at the limit."""
        fails, lock = _keys(self._prefix, email, address)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(fails)
            pipe.expire(fails, self._lockout)
            count, _ = await pipe.execute()
        if count >= self._max_failures:
            await self._client.set(lock, "1", ex=self._lockout)
            await self._client.delete(fails)
        return int(count)

    async def succeeded(self, email: str, address: str) -> None:
        await self._client.delete(_keys(self._prefix, email, address)[0])


def unlock(client: redis.Redis, prefix: str, email: str) -> bool:
    """Lift every lockout of an account (CLI); True if it was locked from any address."""
    fails, locks = _keys(prefix, email, "*")
    keys = [*client.scan_iter(match=fails), *client.scan_iter(match=locks)]
    locked = any(b":login-lock:" in k for k in keys)
    if keys:
        client.delete(*keys)
    return locked


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
