"""A prepared question's answer is composed once and taken by the turns that ask it again
(sitespeak.voice.composed): the turn's timings say ``answer_prepared``. Never an answer its
passages no longer give: a changed passage, at a new knowledge version or in a new preparation,
composes again; nor one meant for a question standing alone to a follow-up understood through
the conversation."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from sitespeak.db.models import Site
from sitespeak.instant.matching import PreparedRetrieval
from sitespeak.instant.prepared_set import Prepared, replace_set
from sitespeak.voice.answer import Answer
from sitespeak.voice.turn import compose, look_up
from tests.voice.prepared import prepared_retrieval

pytestmark = pytest.mark.slow  # the bakery site is crawled and indexed for it

PHONE = "What is your phone number?"
SATURDAY = "When are you open on Saturday?"


@pytest.fixture()
def bakery(voice_site, settings, db):
    site = Site.get_by_id(voice_site.id)
    yield site
    Site.update(knowledge_version=site.knowledge_version).where(Site.id == site.id).execute()
    replace_set(site.tenant_id, site.id, site.knowledge_version, [])


def _matching(settings) -> PreparedRetrieval:
    """The web process's retriever, re-reading the prepared set on every turn."""
    return prepared_retrieval(settings)[0]


def _turn(
    matching: PreparedRetrieval,
    site_id: int,
    question: str,
    history: list[dict[str, str]] | None = None,
) -> tuple[Answer, dict[str, float]]:
    """Retrieval and the answer, as a voice turn has them."""

    async def run() -> tuple[Answer, dict[str, float]]:
        passages = await look_up(site_id, question, matching, history)
        timings: dict[str, float] = {}
        reply = await compose(site_id, question, passages, None, history, None, None, timings)
        return reply, timings

    return asyncio.run(run())


def _prepare(site: Site, matching: PreparedRetrieval, questions: list[str]) -> dict[str, list]:
    """The set the preparation job leaves: each question with the passages it found."""
    found = {q: asyncio.run(matching.search(site.id, q, 8)) for q in questions}
    _replace(site, found)
    return found


def _replace(site: Site, found: dict[str, list[Any]]) -> None:
    answers = [Prepared(q, q, passages, "…") for q, passages in found.items()]
    replace_set(site.tenant_id, site.id, site.knowledge_version, answers)


def test_a_prepared_question_asked_again_is_answered_without_composing(bakery, settings):
    matching = _matching(settings)
    _prepare(bakery, matching, [PHONE])

    first, timings = _turn(matching, bakery.id, PHONE)
    assert "555 0100" in first.text and "answer_prepared" not in timings

    again, timings = _turn(matching, bakery.id, "Um, what's your PHONE number, please?")
    assert timings.get("answer_prepared") == 1.0
    assert (again.sentences, again.citations, again.spoken) == (
        first.sentences,
        first.citations,
        first.spoken,
    )
    # An unprepared question is composed every time.
    for _ in range(2):
        other, timings = _turn(matching, bakery.id, "How many bakers work there?")
        assert "eight bakers" in other.text and "answer_prepared" not in timings


def test_the_composed_answer_goes_on_across_knowledge_versions_while_its_passages_do(
    bakery, settings
):
    matching = _matching(settings)
    _prepare(bakery, matching, [PHONE])
    _turn(matching, bakery.id, PHONE)
    Site.update(knowledge_version=Site.knowledge_version + 1).where(Site.id == bakery.id).execute()

    _, timings = _turn(matching, bakery.id, PHONE)
    assert timings.get("answer_prepared") == 1.0


def test_a_changed_passage_at_a_new_knowledge_version_is_answered_from_its_new_words(
    bakery, settings
):
    matching = _matching(settings)
    found = _prepare(bakery, matching, [PHONE])
    _turn(matching, bakery.id, PHONE)

    # A recrawl changed the number on its page: the prepared passages are the old words.
    Site.update(knowledge_version=Site.knowledge_version + 1).where(Site.id == bakery.id).execute()
    moved = _renumbered(found[PHONE])
    _replace(Site.get_by_id(bakery.id), {PHONE: moved})  # as if prepared at the new version

    reply, timings = _turn(matching, bakery.id, PHONE)
    assert "555 0199" in reply.text and "answer_prepared" not in timings
    again, timings = _turn(matching, bakery.id, PHONE)
    assert "555 0199" in again.text and timings.get("answer_prepared") == 1.0


def test_a_new_preparation_with_other_passages_at_the_same_version_composes_again(bakery, settings):
    matching = _matching(settings)
    found = _prepare(bakery, matching, [PHONE])
    first, _ = _turn(matching, bakery.id, PHONE)
    assert "555 0100" in first.text

    _replace(bakery, {PHONE: _renumbered(found[PHONE])})
    reply, timings = _turn(matching, bakery.id, PHONE)
    assert "555 0199" in reply.text and "answer_prepared" not in timings

    # Taken off the prepared set: searched for and composed, nothing kept from before.
    _replace(bakery, {})
    reply, timings = _turn(matching, bakery.id, PHONE)
    assert "555 0100" in reply.text and "answer_prepared" not in timings


def test_a_follow_up_understood_through_the_conversation_is_composed_for_itself(bakery, settings):
    matching = _matching(settings)
    _prepare(bakery, matching, [SATURDAY])
    sunday = [{"q": "When are you open on Sunday?", "a": "On Sunday we open at 9 am."}]

    # Resolved to the prepared question, it takes its passages but composes its own answer,
    # and leaves none for the question standing alone.
    follow_up, timings = _turn(matching, bakery.id, "And on Saturday?", sunday)
    assert "8 am" in follow_up.text and "answer_prepared" not in timings
    assert follow_up.understood == SATURDAY
    alone, timings = _turn(matching, bakery.id, SATURDAY)
    assert "8 am" in alone.text and "answer_prepared" not in timings

    again, timings = _turn(matching, bakery.id, "And on Saturday?", sunday)
    assert "answer_prepared" not in timings and again.understood == SATURDAY
    # A question that stands alone takes it, whatever was asked before.
    _, timings = _turn(matching, bakery.id, SATURDAY, sunday)
    assert timings.get("answer_prepared") == 1.0


def _renumbered(passages: list[Any]) -> list[Any]:
    return [dataclasses.replace(p, text=p.text.replace("555 0100", "555 0199")) for p in passages]
