"""Answer-quality fixtures: each test site of tests/answers/sites served on loopback, crawled
and indexed in-process through the knowledge base's own code, once per test run."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sitespeak import sites
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.connection import database
from sitespeak.knowledge.embedders import LocalEmbedder
from sitespeak.settings import Settings
from tests.support.answer_quality import serve_site


@dataclass(frozen=True)
class AnswerSite:
    name: str
    id: int
    url: str


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


def _indexed(name: str, alice, settings: Settings):
    with serve_site(name) as url:
        with database.connection_context():
            site = sites.create_site(
                alice.tenant.id, f"answers-{name}", [url + "/"], True, privileged=True
            )
            crawl_foreground(site, settings, lambda *event: None)
        yield AnswerSite(name, site.id, url)


@pytest.fixture(scope="session")
def bikes(alice, settings):
    yield from _indexed("bikes", alice, settings)


@pytest.fixture(scope="session")
def clinic(alice, settings):
    yield from _indexed("clinic", alice, settings)


@pytest.fixture(scope="session", params=["bikes", "clinic"])
def answer_site(request) -> AnswerSite:
    return request.getfixturevalue(request.param)
