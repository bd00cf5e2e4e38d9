"""Everything a web process builds once at start-up, reachable from handlers as ``runtime()``."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis.asyncio as aioredis
from quart import current_app
from redis import Redis as SyncRedis

from sitespeak.accounts.lockout import LoginGuard
from sitespeak.accounts.sessions import SessionStore
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs.tasks import JobQueue
from sitespeak.settings import Settings
from sitespeak.web.dbpool import DbExecutor
from sitespeak.web.events_hub import EventHub
from sitespeak.web.lifecycle import Lifecycle
from sitespeak.web.metrics import WebMetrics


@dataclass
class WebRuntime:
    settings: Settings
    db: DbExecutor
    redis: aioredis.Redis
    sync_redis: SyncRedis  # for domain calls made on the db threads (job submission)
    publisher: EventPublisher
    jobs: JobQueue  # submits the kinds of the registry the entry point built
    hub: EventHub
    metrics: WebMetrics
    lifecycle: Lifecycle
    sessions: SessionStore  # the admin UI's sign-in sessions
    login_guard: LoginGuard
    extras: dict = field(default_factory=dict)


def runtime() -> WebRuntime:
    return current_app.extensions["sitespeak"]
