"""sitespeak.ratelimit on the real Redis: per identity, per window, shared by all processes."""

from __future__ import annotations

import uuid

import pytest
import redis
import redis.asyncio as aioredis

from sitespeak import ratelimit
from sitespeak.errors import TooManyRequests


@pytest.fixture()
def prefix(settings) -> str:
    return f"{settings.redis_prefix}:rltest-{uuid.uuid4().hex[:6]}"


async def test_the_limit_allows_exactly_n_hits_per_window_per_identity(settings, prefix):
    client = aioredis.Redis.from_url(settings.redis_url)
    rule = ratelimit.Limit("voice-start", 3, 60)
    try:
        decisions = [await ratelimit.hit(client, prefix, rule, "1.2.3.4") for _ in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert decisions[2].remaining == 0 and 0 < decisions[3].retry_after <= 60
        assert (await ratelimit.hit(client, prefix, rule, "5.6.7.8")).allowed
        with pytest.raises(TooManyRequests) as caught:
            await ratelimit.enforce(client, prefix, rule, "1.2.3.4")
        assert caught.value.status == 429 and caught.value.retry_after > 0
        await ratelimit.reset(client, prefix, rule, "1.2.3.4")
        assert (await ratelimit.hit(client, prefix, rule, "1.2.3.4")).allowed
    finally:
        await client.aclose()


def test_blocking_and_async_callers_share_one_counter(settings, prefix):
    client = redis.Redis.from_url(settings.redis_url)
    rule = ratelimit.Limit("ingest", 2, 60)
    assert ratelimit.hit_sync(client, prefix, rule, "k").count == 1
    assert ratelimit.hit_sync(client, prefix, rule, "k").count == 2
    assert not ratelimit.hit_sync(client, prefix, rule, "k").allowed
    keys = list(client.scan_iter(match=f"{prefix}:rl:ingest:k:*"))
    assert len(keys) == 1 and 0 < client.ttl(keys[0]) <= 61  # counters expire by themselves
