"""A decline gets a second look by meaning: a visitor's words rarely match the page's, and an
FAQ that asks the same thing in other words (or a sentence that says it) is the answer. The
site's real embedding model scores the meaning; off-topic questions stay declined."""

from __future__ import annotations

import asyncio

import pytest

from sitespeak.voice.answer import answer
from sitespeak.voice.by_meaning import second_look
from tests.support.passages import Passage

pytestmark = pytest.mark.slow  # loads the embedding model


STUDIO = [
    Passage(
        "https://yoga.test/faq",
        "wine",
        "FAQ · Studio",
        "FAQ > Can I bring my own wine to the supper club?",
        "Yes, on Tuesdays, Wednesdays and Thursdays only. Corkage is £5 a bottle.",
    ),
    Passage(
        "https://yoga.test/faq",
        "parking",
        "FAQ · Studio",
        "FAQ > Where can I park?",
        "There's no parking at the studio itself. The Harbour car park on Quay Street is two "
        "minutes' walk away.",
    ),
    Passage(
        "https://yoga.test/faq",
        "late",
        "FAQ · Studio",
        "FAQ > What if I'm running late?",
        "We close the door 5 minutes after class starts, to keep things calm. Sorry!",
    ),
    Passage(
        "https://yoga.test/hours",
        "",
        "Opening hours · Studio",
        "Opening hours",
        "Monday: closed. Tuesday to Friday: 07:00 to 21:00. Saturday: 09:00 to 13:00.",
    ),
]


def _look(embedder, question: str, passages=STUDIO, meaning=None):
    async def by_model(query: str, texts: list[str]) -> list[float]:
        matrix = embedder.embed([query, *texts])
        return [float(x) for x in matrix[1:] @ matrix[0]]

    first = answer(question, passages)
    return first, asyncio.run(second_look(question, passages, first, meaning or by_model))


def test_a_question_worded_unlike_the_faq_gets_the_faqs_answer(embedder):
    first, reply = _look(embedder, "Is it OK if we bring a bottle of our own along to supper?")
    assert not first.covered  # the words alone found nothing: the test needs the second look
    assert reply.covered and "Corkage is £5" in reply.text, reply.text
    assert reply.citations[0]["anchor"] == "wine"


def test_a_question_a_sentence_answers_in_other_words_gets_that_sentence(embedder):
    first, reply = _look(embedder, "What if I turn up a bit late?")
    assert not first.covered
    assert reply.covered and "5 minutes after class starts" in reply.text, reply.text


@pytest.mark.parametrize(
    "question",
    ["Do you rent out kayaks?", "Who won the football last night?", "Are you hiring?"],
)
def test_off_topic_questions_stay_declined(embedder, question):
    first, reply = _look(embedder, question)
    assert not first.covered and reply is first, reply.text


def test_without_vectors_the_decline_stands(embedder):
    async def unavailable(query: str, texts: list[str]) -> None:
        return None

    question = "Is it OK if we bring a bottle of our own along to supper?"
    first, reply = _look(embedder, question, meaning=unavailable)
    assert reply is first and not reply.covered


def test_an_answered_question_is_not_looked_at_again(embedder):
    calls = []

    async def counting(query: str, texts: list[str]) -> list[float]:
        calls.append(query)
        return [1.0] * len(texts)

    first, reply = _look(embedder, "When are you open on Saturday?", meaning=counting)
    assert first.covered and reply is first and not calls


HOURS = Passage(
    "https://yoga.test/hours",
    "",
    "Opening hours · Studio",
    "Opening hours",
    "Monday: closed\nTuesday: 07:00 to 21:00\nWednesday: 07:00 to 21:00\n"
    "Thursday: 07:00 to 21:00\nFriday: 07:00 to 19:00\nSaturday: 09:00 to 13:00\n"
    "Sunday: 10:00 to 12:00",
)


@pytest.mark.parametrize(
    ("question", "line"),
    [
        ("Until what time are you around on Saturdays?", "Saturday: 09:00 to 13:00"),
        ("How early do you unlock on Tuesdays?", "Tuesday: 07:00 to 21:00"),
    ],
)
def test_a_paraphrase_the_words_decline_gets_the_sentence_closest_in_meaning_and_day(
    embedder, question, line
):
    # By similarity alone no line of the week is close enough (they all look alike to the
    # model); the word match's day and kind of fact pick the right one among them.
    first, reply = _look(embedder, question, [HOURS, *STUDIO])
    assert not first.covered
    assert reply.covered and reply.text == line + ".", reply.text
    assert reply.citations[0]["url"] == "https://yoga.test/hours"
    assert len(" ".join(reply.speech).split()) <= 30


@pytest.mark.parametrize("question", ["Do you sell gift cards?", "Is there a sauna?"])
def test_off_topic_questions_stay_declined_among_sentences_ranked_by_meaning_and_words(
    embedder, question
):
    first, reply = _look(embedder, question, [HOURS, *STUDIO])
    assert not first.covered and reply is first, reply.text
