"""Wires the knowledge cache into a web process: ``runtime().extras["knowledge"]``, refreshed by
``knowledge-base.updated`` events and on every event-bus resync."""

from __future__ import annotations

import functools

from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.knowledge.embedders import embedder_for
from sitespeak.web.runtime import WebRuntime


def install(rt: WebRuntime) -> KnowledgeCache:
    cache = KnowledgeCache(
        rt.db.run,
        functools.partial(embedder_for, rt.settings),
        check_every=rt.settings.knowledge_check_every,
    )
    rt.extras["knowledge"] = cache
    rt.hub.add_listener(cache.on_event)
    rt.hub.on_resync(cache.resync)
    return cache
