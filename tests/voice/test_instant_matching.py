"""Matching a visitor's question to a prepared one: worded differently (case, punctuation,
contractions, fillers, a polite lead-in) it still matches, at the knowledge version it was
prepared at; once the site's knowledge changes it matches nothing until prepared again."""

from __future__ import annotations

import asyncio

import pytest

from sitespeak.db.models import Site
from sitespeak.instant.matching import PreparedRetrieval, normalise
from sitespeak.instant.prepared_set import Prepared, load_set, replace_set, site_set
from sitespeak.knowledge import retrieval
from sitespeak.knowledge.embedders import embedder_for

pytestmark = pytest.mark.slow  # the bakery site is crawled and indexed for it


@pytest.mark.parametrize(
    "asked",
    [
        "What is your phone number?",
        "what's your PHONE number",
        "Um, what's your phone number, please?",
        "Could you tell me what is your phone number?",
        "So... uh, what\u2019s your phone number?",
    ],
)
def test_a_question_worded_differently_normalises_like_the_prepared_one(asked):
    assert normalise(asked) == "what is your phone number"


def test_different_questions_stay_different():
    asked = ["What is your phone number?", "What is your email address?", "Where are you?"]
    assert len({normalise(q) for q in asked}) == 3


def test_a_prepared_question_gets_its_passages_without_a_search_until_the_knowledge_changes(
    voice_site, settings, db
):
    embedder = embedder_for(settings)
    site = Site.get_by_id(voice_site.id)
    searched: list[str] = []

    async def search(site_id: int, query: str, k: int) -> list:
        searched.append(query)
        return retrieval.search(site_id, query, k, embedder=embedder)

    async def version(site_id: int) -> int:
        return Site.get_by_id(site_id).knowledge_version

    async def prepared(site_id: int, at: int) -> dict:
        return load_set(site_id, at)

    # Recorded under the phone question: the passages about the bakers, which no search for
    # the phone number finds, so where an answer's passages came from is plain to see.
    bakers = asyncio.run(search(site.id, "How many bakers work there?", 3))
    replace_set(
        site.tenant_id,
        site.id,
        site.knowledge_version,
        [Prepared("What is your phone number?", "What is your phone number?", bakers, "…")],
    )
    matching = PreparedRetrieval(search, version, prepared, check_every=0)
    searched.clear()
    try:
        found = asyncio.run(matching(site.id, "Um, what's your phone number, please?", 3))
        assert found == bakers and searched == []
        other = asyncio.run(matching(site.id, "When do you open on Sunday?", 3))
        assert searched == ["When do you open on Sunday?"] and other != bakers
        assert [a.question for a in site_set(site.tenant_id, site.id)] == [
            "What is your phone number?"
        ]

        Site.update(knowledge_version=Site.knowledge_version + 1).where(
            Site.id == site.id
        ).execute()
        again = asyncio.run(matching(site.id, "What is your phone number?", 3))
        assert again != bakers and searched[-1] == "What is your phone number?"
    finally:
        Site.update(knowledge_version=site.knowledge_version).where(Site.id == site.id).execute()
        replace_set(site.tenant_id, site.id, site.knowledge_version, [])


def test_the_prepared_set_of_one_site_is_not_another_sites(make_site, alice, charlie, db):
    ours, theirs = make_site(alice.tenant), make_site(charlie.tenant)
    replace_set(alice.tenant.id, ours.id, 0, [Prepared("Where are you?", "Where are you?", [], "")])
    assert load_set(theirs.id, 0) == {}
    assert site_set(charlie.tenant.id, ours.id) == []
    assert list(load_set(ours.id, 0)) == ["where are you"]
