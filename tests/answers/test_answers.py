"""Grounded answers on a test site nobody tuned for: one question of each kind, asserting the
fact, the citation, the spoken length and the speakable form; follow-ups; declines; the
stop-word and address cases; persona wording."""

from __future__ import annotations

import pytest

from sitespeak.db.connection import database
from sitespeak.voice.answer import SPOKEN_WORDS, answer
from sitespeak.voice.followups import resolve
from sitespeak.voice.persona import Persona, persona_of
from sitespeak.voice.speakable import speakable
from tests.support.answer_quality import ask, cited
from tests.support.passages import Passage


def _ask(site, embedder, question: str, history=None):
    with database.connection_context():
        return ask(site.id, question, history or [], embedder)


@pytest.mark.parametrize(
    ("question", "fact", "said", "where"),
    [
        ("When are you open on Sunday?", "10:00", "10 am to 2 pm", ["/visit#hours", "/"]),
        ("How much is an e-bike for a day?", "€45", "45 euros", ["/prices"]),
        ("Where are you?", "Quayside 14", "Quayside 14", ["/visit#where", "/"]),
        ("What is your phone number?", "555 01 587", "5 5 5, 0 1, 5 8 7", ["/contact", "/"]),
        ("Who started the shop?", "Ingrid Solberg", "Ingrid Solberg", ["/about#story"]),
        ("How long is the guided tour?", "three-hour", "three-hour", ["/about#tours"]),
        ("Is a helmet included?", "Yes.", "helmet", ["/prices"]),
    ],
)
def test_each_kind_of_question_gets_the_fact_cited_short_and_speakable(
    bikes, embedder, question, fact, said, where
):
    reply = _ask(bikes, embedder, question)
    assert reply.covered and fact in reply.text, reply.text
    assert cited(reply, bikes.url, where), reply.citations
    spoken = " ".join(speakable(s) for s in reply.speech)
    assert said in spoken and len(spoken.split()) <= SPOKEN_WORDS + 6, spoken
    assert "<" not in spoken and "http" not in spoken


def test_a_day_question_is_answered_with_that_day_only(bikes, embedder):
    reply = _ask(bikes, embedder, "When are you open on Sunday?")
    assert "Monday" not in reply.text and "Saturday" not in reply.text, reply.text


def test_the_same_fact_is_never_said_twice(bikes, embedder):
    reply = _ask(bikes, embedder, "What are your opening hours?")
    times = [s for s in reply.sentences if "18:00" in s]
    assert len(times) == 1, reply.sentences


def test_a_follow_up_is_understood_from_the_question_before(bikes, embedder):
    first = "When are you open on Saturday?"
    reply = _ask(bikes, embedder, "And on Sunday?", [{"q": first, "a": "…"}])
    assert reply.understood == "When are you open on Sunday?"
    assert "10:00" in reply.text and cited(reply, bikes.url, ["/visit#hours", "/"])


def test_the_about_page_is_found_although_about_is_a_common_word(bikes, embedder):
    reply = _ask(bikes, embedder, "Take me to the about page")
    assert [a["url"] for a in reply.actions] == [bikes.url + "/about"]
    assert reply.text == "Taking you to the About us page."  # no " · Fjord Cycles"


def test_where_are_you_finds_the_where_to_find_us_section(bikes, embedder):
    reply = _ask(bikes, embedder, "Where are you?")
    assert reply.covered and "Quayside 14" in reply.text


@pytest.mark.parametrize(
    "question",
    ["Do you sell pizza?", "Do you rent out kayaks?", "What is the staff wifi password?"],
)
def test_off_topic_missing_and_robots_forbidden_questions_are_declined(bikes, embedder, question):
    reply = _ask(bikes, embedder, question)
    assert not reply.covered and reply.citations == [] and "couldn't find" in reply.text


def test_the_persona_tone_words_the_local_answers():
    formal = persona_of("You are Ada, a formal and polite assistant.")
    assert (formal.name, formal.tone) == ("Ada", "formal")
    assert answer("Do you sell pizza?", [], persona=formal).text.startswith("I am sorry")
    assert answer("Do you sell pizza?", [], persona=persona_of("Be brief.")).text == (
        "I couldn't find that on this site."
    )


def test_the_greeting_is_the_sites_own_else_one_in_the_personas_voice():
    assert Persona().greeting("Fjord Cycles", "Welcome to Fjord Cycles!") == (
        "Welcome to Fjord Cycles!"
    )
    assert persona_of("You are Ada, friendly.").greeting("Fjord Cycles") == (
        "Hi, I'm Ada! Ask me anything about Fjord Cycles."
    )


def test_a_long_answer_is_shown_whole_and_spoken_short_with_where_the_rest_is():
    long = (
        "Delivery is free on orders over €50 within the city, and for smaller orders or "
        "addresses outside the city the delivery fee depends on the distance, the weight of "
        "the parcel and the day of the week you choose for it to arrive at your door."
    )
    page = Passage("https://shop.test/delivery", "", "Delivery · Example Shop", "Delivery", long)
    reply = answer("How much is delivery?", [page])
    assert reply.text == long
    assert len(" ".join(reply.speech).split()) <= SPOKEN_WORDS + 6
    assert reply.speech[-1] == "More on the Delivery page."


@pytest.mark.parametrize(
    ("request_", "path"),
    [
        ("Take me to the page about the tours", "/about"),
        ("Show me the page on prices", "/prices"),
        ("Open the section about parking", "/visit"),
    ],
)
def test_a_page_named_by_what_it_is_about_is_opened(bikes, embedder, request_, path):
    reply = _ask(bikes, embedder, request_)
    assert reply.covered and reply.actions, reply.text
    assert reply.actions[0]["url"] == bikes.url + path, reply.actions


@pytest.mark.parametrize(
    ("before", "after", "understood"),
    [
        ("How much is a drop-in class?", "And if I'm over 65?", "How much is a drop-in class if"),
        ("How much is the bike tour?", "And how much does one cost for kids?", "the bike tour"),
        ("When are you open on Sunday?", "And on Saturday?", "When are you open on Saturday?"),
        ("Where are you?", "And how do I get there?", "Where are you"),
    ],
)
def test_a_follow_up_with_a_condition_or_a_question_of_its_own_keeps_the_topic(
    before, after, understood
):
    assert understood in resolve(after, [{"q": before, "a": ""}])
