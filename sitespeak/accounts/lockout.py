"""Login throttling: a per-address rate limit and lockouts after wrong passwords.

The lockout is per e-mail and client address (whether or not the account exists, so it tells an
attacker nothing): wrong passwords from one address lock that address out of that account, and
the owner signing in from elsewhere is not locked out by them. A correct password during the
lock is still refused from the locked address, or the lock would only slow guessing down.

Guessing from many addresses (a botnet, each address under the per-address limit) is met by an
account-wide count: past ``login_account_max_failures`` wrong passwords in a lockout period,
the account takes attempts only from addresses that have signed in to it before, so the
attacker's new addresses are refused while the owner, at a known address, still gets in.
"""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from sitespeak import ratelimit
from sitespeak.errors import TooManyRequests
from sitespeak.settings import Settings

KNOWN_ADDRESS_DAYS = 90


def _keys(prefix: str, email: str, address: str) -> tuple[str, str]:
    ident = f"{email.strip().lower()}|{address}"
    return f"{prefix}:login-fail:{ident}", f"{prefix}:login-lock:{ident}"


def _account_keys(prefix: str, email: str) -> tuple[str, str]:
    """The account-wide wrong-password count and the addresses that signed in to it."""
    account = email.strip().lower()
    return f"{prefix}:login-fail-all:{account}", f"{prefix}:login-known:{account}"


class LoginGuard:
    def __init__(self, client: aioredis.Redis, settings: Settings) -> None:
        self._client = client
        self._prefix = settings.redis_prefix
        self._max_failures = settings.login_max_failures
        self._lockout = int(settings.login_lockout_seconds)
        self._per_address = ratelimit.Limit("login", settings.login_rate_per_minute, 60)
        self._account_max_failures = settings.login_account_max_failures

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
        await self._refuse_unknown_address_under_attack(email, address)

    async def _refuse_unknown_address_under_attack(self, email: str, address: str) -> None:
        count_key, known_key = _account_keys(self._prefix, email)
        count = int(await self._client.get(count_key) or 0)
        if count < self._account_max_failures:
            return
        if await self._client.sismember(known_key, address):
            return
        ttl = max(1, int(await self._client.ttl(count_key)))
        raise TooManyRequests(
            "too many wrong passwords for this account from many addresses: it takes sign-ins "
            f"only from addresses that signed in to it before, for {_minutes(ttl)} "
            "(the operator can lift this with `user unlock`)",
            retry_after=ttl,
            code="locked",
        )

    async def failed(self, email: str, address: str) -> int:
        """Count a wrong password; lock the account for this address at the limit."""
        fails, lock = _keys(self._prefix, email, address)
        account_fails, _ = _account_keys(self._prefix, email)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(fails)
            pipe.expire(fails, self._lockout)
            pipe.incr(account_fails)
            pipe.expire(account_fails, self._lockout, nx=True)  # a fixed window, not sliding
            count, *_ = await pipe.execute()
        if count >= self._max_failures:
            await self._client.set(lock, "1", ex=self._lockout)
            await self._client.delete(fails)
        return int(count)

    async def succeeded(self, email: str, address: str) -> None:
        _, known = _account_keys(self._prefix, email)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(_keys(self._prefix, email, address)[0])
            pipe.sadd(known, address)
            pipe.expire(known, KNOWN_ADDRESS_DAYS * 86400)
            await pipe.execute()


def unlock(client: redis.Redis, prefix: str, email: str) -> bool:
    """Lift every lockout of an account (CLI); True if it was locked from any address."""
    fails, locks = _keys(prefix, email, "*")
    account_fails, _ = _account_keys(prefix, email)
    keys = [*client.scan_iter(match=fails), *client.scan_iter(match=locks)]
    locked = any(b":login-lock:" in k for k in keys)
    keys.append(account_fails.encode())  # and the account-wide count, if it had one
    if keys:
        client.delete(*keys)
    return locked


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
