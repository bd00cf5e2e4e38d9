"""The knowledge cache of a web process (``runtime().knowledge``), refreshed by
``knowledge-base.updated`` events and on every event-bus resync."""

from __future__ import annotations

import functools

from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.knowledge.embedders import embedder_for
from sitespeak.settings import Settings
from sitespeak.web.dbpool import DbExecutor
from sitespeak.web.events_hub import EventHub


def knowledge_cache(settings: Settings, db: DbExecutor, hub: EventHub) -> KnowledgeCache:
    cache = KnowledgeCache(
        db.run,
        functools.partial(embedder_for, settings),
        check_every=settings.knowledge_check_every,
    )
    hub.add_listener(cache.on_event)
    hub.on_resync(cache.resync)
    return cache
