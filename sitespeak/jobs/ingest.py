"""The analytics queue's bulk lane: the widget's event batches, straight onto Huey.

A batch is not a ledger job: a ledger row per batch would be a database write per beacon on the
web path, which is what the lane exists to avoid. The web process builds the Huey message here
and adds it to the queue with its own async Redis client (``message``), so its event loop never
blocks. The worker stores the batch and asks for a rollup pass, at most one every
``ROLLUP_DEBOUNCE`` seconds; storing and rolling up are the analytics capability's, handed over
by the worker's entry point (``bind``), so this package imports no capability. Delivery is
Huey's (at most once): a worker killed while it holds a batch loses it; the client's retry (same
event ids) is what makes that rare loss whole.
"""

from __future__ import annotations

import datetime as dt
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from sitespeak.jobs import queues

log = logging.getLogger(__name__)
ROLLUP_DEBOUNCE = 2.0
_HUEY = queues.HUEYS["analytics"]
_clients: dict[str, redis.Redis] = {}


def _redis() -> redis.Redis:
    url = queues.bound_settings().redis_url
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url)
    return _clients[url]


@dataclass(frozen=True)
class Handlers:
    """The capability's side of the lane."""

    store: Callable[[int, int, list[dict[str, Any]], dt.datetime], None]
    rollup: Callable[[], int]  # returns the hours rebuilt


_bound: list[Handlers] = []


def bind(handlers: Handlers) -> None:
    _bound[:] = [handlers]


def _handlers() -> Handlers:
    if not _bound:
        raise RuntimeError(
            "the analytics lane has no handlers: the worker's entry point binds them"
        )
    return _bound[0]


def _store_batch(tenant_id: int, site_id: int, events: list[dict[str, Any]], at: str) -> None:
    _handlers().store(tenant_id, site_id, events, dt.datetime.fromisoformat(at))
    request_rollup()


def request_rollup() -> None:
    """Ask for a rollup pass ``ROLLUP_DEBOUNCE`` seconds from now, unless one is already asked
    for: what arrives in between is in that pass (a trailing debounce, one pass per window)."""
    settings = queues.bound_settings()
    soon = _redis().set(
        f"{settings.redis_prefix}:analytics:rollup-soon",
        "1",
        nx=True,
        px=int(ROLLUP_DEBOUNCE * 1000),
    )
    if soon:
        ROLLUP.schedule(delay=ROLLUP_DEBOUNCE, priority=queues.PRIORITY["analytics"])


def _rollup() -> None:
    rebuilt = _handlers().rollup()
    log.debug("analytics rollup pass rebuilt %s hours", rebuilt)


STORE_BATCH = _HUEY.task(name="analytics_store_batch")(_store_batch)
ROLLUP = _HUEY.task(name="analytics_rollup")(_rollup)


def message(
    tenant_id: int, site_id: int, events: list[dict[str, Any]], at: dt.datetime
) -> tuple[str, bytes, float]:
    """(sorted-set key, member, score) of the Huey message storing this batch: what
    ``PriorityRedisStorage.enqueue`` would ZADD, for a caller with an async Redis client."""
    priority = queues.PRIORITY["analytics"]
    task = STORE_BATCH.s(tenant_id, site_id, events, at.isoformat(), priority=priority)
    data = _HUEY.serialize_task(task)
    prefix = struct.pack(">Q", int(time.time() * 1e6))  # Huey's own ordering prefix
    return _HUEY.storage.queue_key, prefix + data, -priority
