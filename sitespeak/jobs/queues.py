"""The six Huey queues. These objects are the only module-level state: task decorators need them
at import time, and ``bind`` points them at the install's Redis once a process has its Settings."""

from __future__ import annotations

from huey import PriorityRedisHuey
from huey.storage import PriorityRedisStorage

from sitespeak.settings import QUEUES, Settings

# results=False: outcomes live in the job ledger (Huey's results would grow forever unread).
HUEYS: dict[str, PriorityRedisHuey] = {
    name: PriorityRedisHuey(name, results=False, url="redis://127.0.0.1:1/0") for name in QUEUES
}
PRIORITY = {
    "critical": 100,
    "ai": 50,
    "voice": 50,
    "crawler": 30,
    "analytics": 10,
    "maintenance": 10,
}
_bound: dict[str, Settings] = {}


def bind(settings: Settings) -> None:
    for name, huey in HUEYS.items():
        huey.name = f"{settings.redis_prefix}.{name}"
        huey.storage = PriorityRedisStorage(
            name=huey.name, url=settings.redis_url, blocking=True, read_timeout=1
        )
    _bound["settings"] = settings


def bound_settings() -> Settings:
    if "settings" not in _bound:
        raise RuntimeError("queues used before sitespeak.jobs.queues.bind(settings)")
    return _bound["settings"]


def depths() -> dict[str, int]:
    return {name: huey.pending_count() for name, huey in HUEYS.items()}
