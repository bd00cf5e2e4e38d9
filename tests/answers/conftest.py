"""Answer-quality fixtures: each test site of tests/answers/sites served on loopback, crawled
and indexed in-process through the knowledge base's own code, once per test run."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from sitespeak import sites
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.connection import database
from sitespeak.knowledge.embedders import LocalEmbedder
from tests.support.answer_quality import serve_site, site_names


@dataclass(frozen=True)
class AnswerSite:
    name: str
    id: int
    url: str


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture(scope="session")
def indexed(alice, settings) -> Callable[[str], AnswerSite]:
    """The named test site, served and indexed on first use."""
    made: dict[str, AnswerSite] = {}
    with ExitStack() as stack:

        def get(name: str) -> AnswerSite:
            if name not in made:
                url = stack.enter_context(serve_site(name))
                with database.connection_context():
                    site = sites.create_site(
                        alice.tenant.id, f"answers-{name}", [url + "/"], True, privileged=True
                    )
                    crawl_foreground(site, settings, lambda *event: None)
                made[name] = AnswerSite(name, site.id, url)
            return made[name]

        yield get


@pytest.fixture(scope="session")
def bikes(indexed) -> AnswerSite:
    return indexed("bikes")


@pytest.fixture(scope="session", params=site_names())
def answer_site(request, indexed) -> AnswerSite:
    return indexed(request.param)
