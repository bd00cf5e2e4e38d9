"""Matching a visitor's question to a prepared one: worded differently (case, punctuation,
contractions, fillers, a polite lead-in) it still matches, at the knowledge version it was
prepared at and at later ones while its passages are unchanged; once one of them changes it
matches nothing until prepared again."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from sitespeak.db.models import Site
from sitespeak.instant.matching import normalise
from sitespeak.instant.prepared_set import Prepared, load_set, replace_set, site_set
from tests.voice.prepared import prepared_retrieval

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


def test_a_prepared_question_gets_its_passages_without_a_search_until_its_passages_change(
    voice_site, settings, db
):
    site = Site.get_by_id(voice_site.id)
    matching, seen = prepared_retrieval(settings)
    searched = seen.searched

    # Recorded under the phone question: the passages about the bakers, which no search for
    # the phone number finds, so where an answer's passages came from is plain to see.
    bakers = asyncio.run(matching.search(site.id, "How many bakers work there?", 3))
    replace_set(
        site.tenant_id,
        site.id,
        site.knowledge_version,
        [Prepared("What is your phone number?", "What is your phone number?", bakers, "…")],
    )
    searched.clear()
    try:
        found = asyncio.run(matching(site.id, "Um, what's your phone number, please?", 3))
        assert found == bakers and searched == []
        other = asyncio.run(matching(site.id, "When do you open on Sunday?", 3))
        assert searched == ["When do you open on Sunday?"] and other != bakers
        assert [a.question for a in site_set(site.tenant_id, site.id)] == [
            "What is your phone number?"
        ]

        # The knowledge changed elsewhere: the passages it was composed from are the same.
        Site.update(knowledge_version=Site.knowledge_version + 1).where(
            Site.id == site.id
        ).execute()
        still = asyncio.run(matching(site.id, "What is your phone number?", 3))
        assert still == bakers and searched == ["When do you open on Sunday?"]

        # Prepared from a passage whose words are not the chunk's now (as a recrawl that
        # changed its page leaves it): not matched at the new version.
        stale = [dataclasses.replace(bakers[0], text=bakers[0].text + " Formerly."), *bakers[1:]]
        replace_set(
            site.tenant_id,
            site.id,
            site.knowledge_version,
            [Prepared("What is your phone number?", "What is your phone number?", stale, "…")],
        )
        again = asyncio.run(matching(site.id, "What is your phone number?", 3))
        assert again != bakers and searched[-1] == "What is your phone number?"
    finally:
        Site.update(knowledge_version=site.knowledge_version).where(Site.id == site.id).execute()
        replace_set(site.tenant_id, site.id, site.knowledge_version, [])


def test_turns_arriving_together_on_a_cold_site_read_its_prepared_set_once(
    voice_site, settings, db
):
    site = Site.get_by_id(voice_site.id)
    matching, seen = prepared_retrieval(settings, check_every=30.0, threaded=True)

    async def ten_at_once() -> list[list]:
        asked = ["What is your phone number?"] * 9 + ["When do you open on Sunday?"]
        return await asyncio.gather(*(matching(site.id, q, 3) for q in asked))

    asyncio.run(ten_at_once())
    assert seen.reads == [site.knowledge_version]


def test_the_prepared_set_of_one_site_is_not_another_sites(make_site, alice, charlie, db):
    ours, theirs = make_site(alice.tenant), make_site(charlie.tenant)
    replace_set(alice.tenant.id, ours.id, 0, [Prepared("Where are you?", "Where are you?", [], "")])
    assert load_set(theirs.id, 0) == {}
    assert site_set(charlie.tenant.id, ours.id) == []
    assert list(load_set(ours.id, 0)) == ["where are you"]
