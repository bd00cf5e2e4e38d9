"""Events from the worker (and admin commands) to every web process, over Redis pub/sub.

One channel per install; each message is JSON ``{"type", "tenant_id", "data", "ts"}``. Pub/sub is
fire-and-forget: a consumer that must not miss state (the knowledge cache) also re-reads on
reconnect, see ``EventHub.on_resync``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import redis


class EventType(StrEnum):
    """Every kind of event on the bus; the values are what travels (and what SSE clients see)."""

    JOB_UPDATED = "job.updated"
    JOB_PROGRESS = "job.progress"
    KNOWLEDGE_UPDATED = "knowledge-base.updated"  # every web process reloads the site's index
    # A site's key, origins, settings or existence changed: announced by the domain functions
    # that change them (``sitespeak.sites``), whoever calls them (web, CLI, worker).
    SITE_CHANGED = "site.changed"
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


# How domain code announces an event: the caller passes one in (``EventPublisher.publish``, a
# job queue's ``publish`` that also runs reactions, or ``nowhere`` without Redis).
Publish = Callable[[EventType, int | None, dict[str, Any]], None]


def nowhere(_event_type: EventType, _tenant_id: int | None, _data: dict[str, Any]) -> None:
    """Publish to no one (a command run without Redis, or a test that listens to nothing)."""


@dataclass
class HeldEvents:
    """Events announced inside a transaction, held until it commits: a web process that reacts
    to one at once must read the committed rows, not cache the old ones again."""

    held: list[tuple[EventType, int | None, dict[str, Any]]] = field(default_factory=list)

    def publish(self, event_type: EventType, tenant_id: int | None, data: dict[str, Any]) -> None:
        self.held.append((event_type, tenant_id, data))

    def release(self, publish: Publish) -> None:
        """After the commit: announce what was held, in order."""
        for event in self.held:
            publish(*event)
        self.held.clear()


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
