"""Instant answers: the phrases a visitor of a site will most likely hear, worked out ahead of
time with the same answer path a voice turn takes, so the speech process can synthesize them in
the background and a turn that says them finds its audio in the phrase cache.

The set is the site's greeting, a few key-fact questions, the top questions of the last 30 days
and the decline phrase. Each answer is cut into the chunks a turn synthesizes (its first phrase
as cut at normal load and under load, then whole sentences), each as it is spoken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from sitespeak.instant.prepared_set import Prepared
from sitespeak.voice.answer import declined
from sitespeak.voice.persona import Persona
from sitespeak.voice.phrases import FIRST_WORDS, SHORT_FIRST_WORDS, split_answer
from sitespeak.voice.speakable import speakable
from sitespeak.voice.turn import Retriever, compose, look_up

KEY_FACTS = (
    "What are your opening hours?",
    "Where are you?",
    "What is your phone number?",
    "What is your email address?",
)
TOP_DAYS = 30
TOP_QUESTIONS = 10
# Speak one phrase (at the speech process's background priority); True when it was cached.
Say = Callable[[str], Awaitable[bool]]
# Called after each phrase with the progress so far: a stop point (it raises to interrupt).
Between = Callable[[dict[str, Any]], None]


class Progress(BaseModel):
    """How far a preparation got: the phrases (worked out once) and how many are done."""

    texts: list[str]
    done: int = Field(0, ge=0)
    already_cached: int = Field(0, ge=0)
    kept: int = Field(0, ge=0)  # answers kept from before (their passages unchanged)


def spoken_chunks(sentences: list[str]) -> list[str]:
    """What a turn synthesizes for an answer, at either first-phrase length, in order."""
    chunks: dict[str, None] = {}
    for first_words in (FIRST_WORDS, SHORT_FIRST_WORDS):
        for chunk in split_answer(sentences, first_words):
            chunks[speakable(chunk)] = None
    return [c for c in chunks if c]


async def phrases(
    site_id: int,
    greeting: str,
    persona: Persona,
    questions: Iterable[str],
    retrieve: Retriever,
    kept: dict[str, Prepared] | None = None,
) -> tuple[list[str], list[Prepared]]:
    """The phrases to prepare for a site, each once, the likeliest first; and each question
    with what its answer path searched for and found (for matching a turn's question). A
    question in ``kept`` (prepared before, its passages unchanged) is not searched for again:
    its answer is composed from the passages it has."""
    kept = kept or {}
    found: dict[str, None] = dict.fromkeys(spoken_chunks([greeting]) if greeting else [])
    answers = []
    searched: list[tuple[str, list[Any]]] = []  # what the answer path searched for, and found

    async def recorded(site: int, query: str, k: int) -> list[Any]:
        passages = await retrieve(site, query, k)
        searched.append((query, passages))
        return passages

    for question in dict.fromkeys(q.strip() for q in questions if q.strip()):
        if question in kept:
            before = kept[question]
            reply = await compose(site_id, question, before.passages, None, None, persona)
            found.update(dict.fromkeys(spoken_chunks(reply.speech)))
            answers.append(before)
            continue
        searched.clear()
        passages = await look_up(site_id, question, recorded)
        reply = await compose(site_id, question, passages, None, None, persona)
        found.update(dict.fromkeys(spoken_chunks(reply.speech)))
        if searched:
            query, passages = searched[-1]
            answers.append(Prepared(question, query, passages, " ".join(reply.speech)))
    found.update(dict.fromkeys(spoken_chunks(declined(persona).speech)))
    return list(found), answers


def questions_for(top_questions: list[list[Any]]) -> list[str]:
    """The key facts, then the rollups' top questions (``[[text, count], ...]``)."""
    return [*KEY_FACTS, *(str(row[0]) for row in top_questions[:TOP_QUESTIONS])]


async def prepare(progress: Progress, say: Say, between: Between) -> dict[str, int]:
    """Each phrase not done yet synthesized (one at a time: background work never crowds the
    queue), with ``between`` called after each."""
    texts, cached, resumed_at = progress.texts, progress.already_cached, progress.done
    for index in range(resumed_at, len(texts)):
        cached += await say(texts[index])
        if index + 1 < len(texts):
            done = progress.model_copy(update={"done": index + 1, "already_cached": cached})
            between(done.model_dump())
    return {
        "phrases": len(texts),
        "already_cached": cached,
        "resumed_at": resumed_at,
        "kept": progress.kept,
    }


def resumed(checkpoint: dict[str, Any] | None) -> Progress | None:
    """The progress an interrupted run left, or None when there is none (or it is unreadable:
    then the phrases are worked out afresh, which loses nothing but time)."""
    if not checkpoint:
        return None
    try:
        progress = Progress.model_validate(checkpoint)
    except ValidationError:
        return None
    return progress if progress.done <= len(progress.texts) else None
