"""A web process's knowledge cache and releases: a rollback to the release live before the
last switch swaps its index back without reading it again, and a new knowledge version that
leaves the live release as it was keeps the index in memory."""

from __future__ import annotations

import asyncio

from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.models import Site
from sitespeak.events.bus import Event, EventType
from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.knowledge.indexing import announce
from sitespeak.releases import switch
from tests.knowledge.test_cache import _cache
from tests.knowledge.testsite import page

QUESTION = "who decorates the celebration cakes"


def _updated(data: dict) -> Event:
    """The knowledge-base.updated event as every web process receives it."""
    return Event(EventType.KNOWLEDGE_UPDATED, None, data, 0.0)


async def texts(cache: KnowledgeCache, site_id: int) -> str:
    return " ".join(p.text for p in await cache.search(site_id, QUESTION, 3))


async def test_a_rollback_swaps_the_earlier_index_back_and_answers_with_its_text(
    alice, testsite, make_site, kb_settings, settings, events
):
    site = make_site(alice.tenant, testsite.url)
    crawl_foreground(site, kb_settings, events)
    cache, _ = await _cache(check_every=3600)
    first = await cache.index(site.id)
    assert "Amira" in await texts(cache, site.id)

    testsite.pages["/team"] = page(
        "The team", "<h1 id='team'>The team</h1><p>Jonas decorates every celebration cake.</p>"
    )
    await asyncio.to_thread(crawl_foreground, site, kb_settings, events)
    await cache.on_event(_updated(events.of(EventType.KNOWLEDGE_UPDATED)[-1]))
    second = await cache.index(site.id)
    assert second.release_id != first.release_id and second.vectors is not first.vectors
    assert "Jonas" in await texts(cache, site.id)

    await asyncio.to_thread(switch.rollback, alice.tenant.id, site.id, 1, "alice", settings, events)
    update = events.of(EventType.KNOWLEDGE_UPDATED)[-1]
    await cache.on_event(_updated(update))
    back = await cache.index(site.id)
    assert back.vectors is first.vectors and back.version == update["version"]
    text = await texts(cache, site.id)
    assert "Amira" in text and "Jonas" not in text

    # An embedding run bumps the version and leaves the live release as it is.
    Site.update(knowledge_version=Site.knowledge_version + 1).where(Site.id == site.id).execute()
    announce(events, site)
    await cache.on_event(_updated(events.of(EventType.KNOWLEDGE_UPDATED)[-1]))
    kept = await cache.index(site.id)
    assert kept.vectors is first.vectors and kept.version == update["version"] + 1
    cache.close()


async def test_an_edit_of_the_voice_keeps_the_index_in_memory_under_its_new_release(
    alice, testsite, make_site, kb_settings, settings, events
):
    from sitespeak.releases import edits
    from sitespeak.sites import voice_options

    site = make_site(alice.tenant, testsite.url)
    crawl_foreground(site, kb_settings, events)
    cache, pool = await _cache(check_every=3600)
    first = await cache.index(site.id)

    options = voice_options.VoiceOptions(greeting="Hello from the bakery.")
    # On the cache's db threads: their connections go back to the pool.
    await pool.run(
        edits.set_voice_options, alice.tenant.id, site.id, options, "alice", settings, events
    )
    update = events.of(EventType.KNOWLEDGE_UPDATED)[-1]
    await cache.on_event(_updated(update))
    kept = await cache.index(site.id)
    assert kept.release_id != first.release_id, "the edit made a release"
    assert kept.vectors is first.vectors and kept.version == update["version"]
    assert "Amira" in await texts(cache, site.id)
    cache.close()
