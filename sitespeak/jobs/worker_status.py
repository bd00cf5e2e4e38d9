"""What the workers say about themselves, in Redis: a heartbeat per queue they consume and how
their last supervision pass went. The worker writes it; ``/health`` and the admin dashboard read
it through ``worker_status`` (so neither imports the worker process's module)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis

from sitespeak.jobs import queues
from sitespeak.settings import Settings


def heartbeat_key(prefix: str) -> str:
    return f"{prefix}:heartbeats"


def supervision_key(prefix: str) -> str:
    """Per queue, how the last supervision pass went: ``{"ok", "at", "error"}`` as JSON."""
    return f"{prefix}:supervision"


def record_heartbeat(client: redis.Redis, settings: Settings, now: float) -> None:
    client.hset(heartbeat_key(settings.redis_prefix), mapping={q: now for q in settings.queues})


def lease_key(prefix: str, holder: str) -> str:
    return f"{prefix}:worker-lease:{holder}"


def renew_lease(client: redis.Redis, settings: Settings, holder: str) -> None:
    """This worker is alive and holds its claims for three more heartbeat intervals, and never
    for less than a job's heartbeat may go stale. Killed, it stops renewing, and the reaper may
    take its jobs once the lease has expired. The floor matters where the interval is short
    (0.5 s in the tests): a supervision pass slowed past 1.5 s on a busy box let the lease of a
    live worker lapse, and another worker's reaper took a job whose beats were slowed too."""
    ttl_ms = int(max(settings.heartbeat_interval * 3, settings.job_stale_after) * 1000)
    client.set(lease_key(settings.redis_prefix, holder), "1", px=ttl_ms)


def lease_alive(client: redis.Redis, settings: Settings, holder: str) -> bool:
    return bool(holder) and bool(client.exists(lease_key(settings.redis_prefix, holder)))


def record_supervision(
    client: redis.Redis, settings: Settings, now: float, problem: str | None
) -> None:
    state = json.dumps({"ok": problem is None, "at": now, "error": problem})
    client.hset(supervision_key(settings.redis_prefix), mapping={q: state for q in settings.queues})


@dataclass(frozen=True)
class QueueStatus:
    queue: str
    depth: int | None  # None when the queue is not one this install knows
    last_seen_s: float | None  # seconds since a worker consuming it last beat; None: never
    alive: bool  # a beat within three heartbeat intervals
    supervision: str | None  # "ok" or "failing": how that worker's last pass went
    supervision_error: str | None = None


async def worker_status(client: aioredis.Redis, settings: Settings) -> list[QueueStatus] | None:
    """Every known queue and every queue a worker beats for; None when Redis cannot be read."""
    prefix = settings.redis_prefix
    try:
        beats = await client.hgetall(heartbeat_key(prefix))
        passes = await client.hgetall(supervision_key(prefix))
        depths = await asyncio.get_running_loop().run_in_executor(None, queues.depths)
    except Exception:  # noqa: BLE001 - unknown; readiness and the dependency checks say why
        return None
    now, stale = time.time(), settings.heartbeat_interval * 3
    seen = {_text(k): now - float(v) for k, v in beats.items()}
    last_pass = {_text(k): json.loads(v) for k, v in passes.items()}
    found = []
    for name in [*depths, *sorted(set(seen) - set(depths))]:
        outcome = last_pass.get(name) if name in seen else None
        found.append(
            QueueStatus(
                queue=name,
                depth=depths.get(name),
                last_seen_s=round(seen[name], 1) if name in seen else None,
                alive=name in seen and seen[name] <= stale,
                supervision=None if outcome is None else ("ok" if outcome["ok"] else "failing"),
                supervision_error=outcome.get("error") if outcome else None,
            )
        )
    return found


def _text(key: bytes | str) -> str:
    return key.decode() if isinstance(key, bytes) else key
