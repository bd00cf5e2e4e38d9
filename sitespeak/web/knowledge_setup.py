"""The knowledge cache of a web process (``runtime().knowledge``), refreshed by
``knowledge-base.updated`` events and on every event-bus resync.

With the local embedder, query vectors come from the speech process (``embed`` calls on the
web process's one speech connection): the web process loads no model of any kind."""

from __future__ import annotations

import functools

from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.knowledge.embedders import Embedder, RemoteEmbedder, embedder_for
from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient
from sitespeak.web.dbpool import DbExecutor
from sitespeak.web.events_hub import EventHub


def knowledge_cache(
    settings: Settings, db: DbExecutor, hub: EventHub, speech: SpeechClient
) -> KnowledgeCache:
    cache = KnowledgeCache(
        db.run,
        functools.partial(_embedder, settings, speech),
        check_every=settings.knowledge_check_every,
    )
    hub.add_listener(cache.on_event)
    hub.on_resync(cache.resync)
    return cache


def _embedder(settings: Settings, speech: SpeechClient) -> Embedder | RemoteEmbedder:
    if settings.embedder == "local":
        return RemoteEmbedder(speech.embed)
    return embedder_for(settings)  # an embeddings API: called from here, nothing loaded
