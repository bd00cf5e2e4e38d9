"""Everything a web process builds once at start-up (in ``create_app``, one typed field each),
reachable from handlers as ``runtime()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from quart import current_app
from redis import Redis as SyncRedis

from sitespeak.accounts.lockout import LoginGuard
from sitespeak.accounts.sessions import SessionStore
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs.tasks import JobQueue
from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient
from sitespeak.web.dbpool import DbExecutor
from sitespeak.web.events_hub import EventHub
from sitespeak.web.lifecycle import Lifecycle
from sitespeak.web.metrics import WebMetrics

if TYPE_CHECKING:  # heavy (numpy, the speech models' code): create_app imports them anyway
    from sitespeak.knowledge.cache import KnowledgeCache
    from sitespeak.providers.session import Clients
    from sitespeak.voice.live import Services
    from sitespeak.web.site_keys import SiteKeys


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
    knowledge: KnowledgeCache  # every site's retrieval index, refreshed by bus events
    providers: Clients  # the OpenAI client pools, one per base URL
    speech: SpeechClient  # the speech process, also asked for its health and metrics
    voice: Services  # what a voice session needs: speech engine, retrieval, state, limits
    site_keys: SiteKeys  # the widget's keys, cached; emptied of a site by its site.changed


def runtime() -> WebRuntime:
    return current_app.extensions["sitespeak"]
