"""Events from the worker (and admin commands) to every web process, over Redis pub/sub.

One channel per install; each message is JSON ``{"type", "tenant_id", "data", "ts"}``. Pub/sub is
fire-and-forget: a consumer that must not miss state (the knowledge cache) also re-reads on
reconnect, see ``EventHub.on_resync``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import redis


class EventType(StrEnum):
    """Every kind of event on the bus; the values are what travels (and what SSE clients see)."""

    JOB_UPDATED = "job.updated"
    JOB_PROGRESS = "job.progress"
    KNOWLEDGE_UPDATED = "knowledge-base.updated"  # every web process reloads the site's index
    SITE_CHANGED = "site.changed"  # a site's key, origins or existence changed
    RELEASE_UPDATED = "release.updated"  # a release changed state (the admin's history listens)


@dataclass(frozen=True)
class Event:
    type: EventType
    tenant_id: int | None
    data: dict[str, Any]
    ts: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event | None:
        """The event, or None for a message this version does not know (a newer process's kind
        of event during an upgrade, or anything that is not one of ours)."""
        try:
            message = json.loads(raw)
            tenant_id = message.get("tenant_id")
            return cls(
                EventType(message["type"]),
                None if tenant_id is None else int(tenant_id),
                dict(message.get("data") or {}),
                float(message.get("ts") or 0.0),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def channel(prefix: str) -> str:
    return f"{prefix}:events"


def encode(event_type: EventType, tenant_id: int | None, data: dict[str, Any]) -> str:
    return Event(event_type, tenant_id, data, time.time()).to_json()


class EventPublisher:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._channel = channel(prefix)

    def publish(self, event_type: EventType, tenant_id: int | None, data: dict[str, Any]) -> None:
        # An event is a hint, never the record: losing one to a Redis blip must not fail the job.
        try:
            self._client.publish(self._channel, encode(event_type, tenant_id, data))
        except redis.RedisError:
            pass
