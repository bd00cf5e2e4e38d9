"""Events from the worker (and admin commands) to every web process, over Redis pub/sub.

One channel per install; each message is JSON ``{"type", "tenant_id", "data", "ts"}``. Pub/sub is
fire-and-forget: a consumer that must not miss state (the knowledge cache) also re-reads on
reconnect, see ``EventHub.on_resync``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis


def channel(prefix: str) -> str:
    return f"{prefix}:events"


def encode(event_type: str, tenant_id: int | None, data: dict[str, Any]) -> str:
    return json.dumps(
        {"type": event_type, "tenant_id": tenant_id, "data": data, "ts": time.time()}, default=str
    )


class EventPublisher:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._channel = channel(prefix)

    def publish(self, event_type: str, tenant_id: int | None, data: dict[str, Any]) -> None:
        # An event is a hint, never the record: losing one to a Redis blip must not fail the job.
        try:
            self._client.publish(self._channel, encode(event_type, tenant_id, data))
        except redis.RedisError:
            pass
