"""Fixtures of the knowledge-base tests: a loopback test website and sites pointing at it."""

from __future__ import annotations

import itertools

import pytest

from sitespeak import sites
from sitespeak.db.models import Site
from sitespeak.knowledge.models import Chunk, CrawlOutcome, Page
from sitespeak.settings import Settings
from tests.knowledge.testsite import LoopbackSite

_names = itertools.count(1)


@pytest.fixture()
def testsite():
    with LoopbackSite() as site:
        yield site


@pytest.fixture()
def kb_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"crawl_max_bytes": 1024 * 1024, "crawl_timeout": 5.0})


@pytest.fixture()
def make_site(db):
    def make(tenant, url: str, allow_private: bool = True, **scope) -> Site:
        return sites.create_site(
            tenant.id, f"site-{next(_names)}", [url + "/"], allow_private, privileged=True, **scope
        )

    return make


def pages_by_path(site: Site, base: str) -> dict[str, Page]:
    return {p.url[len(base) :]: p for p in Page.select().where(Page.site == site.id)}


def outcomes(run_id: int, base: str) -> dict[str, CrawlOutcome]:
    return {o.url[len(base) :]: o for o in CrawlOutcome.select().where(CrawlOutcome.run == run_id)}


def chunk_ids(page: Page) -> set[int]:
    return {c.id for c in Chunk.select(Chunk.id).where(Chunk.page == page.id)}
