"""The web process's knowledge cache, driven with the real database executor."""

from __future__ import annotations

import asyncio

import pytest

from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.connection import database
from sitespeak.events.bus import Event
from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.knowledge.embedders import LocalEmbedder
from sitespeak.knowledge.site_index import site_version
from sitespeak.web.dbpool import DbExecutor
from tests.knowledge.testsite import page


async def _cache(check_every: float) -> tuple[KnowledgeCache, DbExecutor]:
    pool = DbExecutor(database.obj, 2)
    # Not closed at the end: DbExecutor.close() would close the test session's connections too.
    return KnowledgeCache(pool.run, LocalEmbedder, check_every=check_every), pool


async def test_a_knowledge_update_event_swaps_in_the_sites_new_index(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    events = []
    crawl_foreground(site, kb_settings, lambda *e: events.append(e))
    cache, pool = await _cache(check_every=3600)
    first = await cache.search(site.id, "when are you open on sunday", 3)
    assert "Sunday" in first[0].text
    testsite.pages["/team"] = page(
        "The team",
        "<h1 id='team'>The team</h1><p>Our new pastry chef Lucia makes the macarons.</p>",
    )
    await asyncio.to_thread(crawl_foreground, site, kb_settings, lambda *e: events.append(e))
    before = cache.cached_sites()[site.id]
    await cache.on_event(Event(*events[-1], 0.0))
    assert cache.cached_sites()[site.id] > before
    found = await cache.search(site.id, "who bakes the macarons", 1)
    assert "Lucia" in found[0].text
    cache.close()


async def test_a_missed_event_is_caught_by_the_version_check(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    crawl_foreground(site, kb_settings, lambda *e: None)
    cache, pool = await _cache(check_every=0.2)
    await cache.search(site.id, "bread", 1)
    testsite.pages["/menu"] = page("Menu", "<h1 id='menu'>Menu</h1><p>Pretzels cost 1.90.</p>")
    await asyncio.to_thread(crawl_foreground, site, kb_settings, lambda *e: None)  # lost event
    current = await asyncio.to_thread(_version, site.id)
    for _ in range(600):  # ~60 s for a check due every 0.2 s, on a busy box too
        await cache.search(site.id, "pretzel price", 1)
        if cache.cached_sites()[site.id] == current:
            break
        await asyncio.sleep(0.1)
    assert cache.cached_sites()[site.id] == current
    cache.close()


def _version(site_id: int) -> int:
    with database.connection_context():
        return site_version(site_id)


class CountingEmbedder(LocalEmbedder):
    """The real model, recording what it was asked to embed."""

    asked: list[list[str]] = []

    def embed(self, texts):
        CountingEmbedder.asked.append(list(texts))
        return super().embed(texts)


@pytest.mark.slow  # loads the embedding model
async def test_a_second_look_embeds_each_sentence_once_and_scores_it_the_same_again():
    CountingEmbedder.asked = []
    cache = KnowledgeCache(_no_db, CountingEmbedder)
    question = "Is there somewhere to leave the bicycle while I shop?"
    sentences = ["Bikes can be locked to the rails by the door.", "We sell sourdough bread."]
    first = await cache.similarity(question, sentences)
    again = await cache.similarity(question, [*sentences, "Coffee is served from 8 am."])
    assert first is not None and again is not None
    assert first[0] > first[1]  # the bike sentence is the closer one
    assert again[:2] == first  # the kept vectors, not new ones
    assert CountingEmbedder.asked == [
        sorted([question, *sentences]),
        ["Coffee is served from 8 am."],
    ]
    cache.close()


async def _no_db(fn, *args):
    raise AssertionError("a similarity needs no database")
