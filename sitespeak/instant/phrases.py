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
) -> list[str]:
    """The phrases to prepare for a site, each once, the likeliest first."""
    found: dict[str, None] = dict.fromkeys(spoken_chunks([greeting]) if greeting else [])
    for question in dict.fromkeys(q.strip() for q in questions if q.strip()):
        passages = await look_up(site_id, question, retrieve)
        reply = await compose(site_id, question, passages, None, None, persona)
        found.update(dict.fromkeys(spoken_chunks(reply.speech)))
    found.update(dict.fromkeys(spoken_chunks(declined(persona).speech)))
    return list(found)


def questions_for(top_questions: list[list[Any]]) -> list[str]:
    """The key facts, then the rollups' top questions (``[[text, count], ...]``)."""
    return [*KEY_FACTS, *(str(row[0]) for row in top_questions[:TOP_QUESTIONS])]


async def prepare(texts: list[str], say: Say) -> dict[str, int]:
    """Each phrase synthesized (one at a time: background work never crowds the queue)."""
    cached = 0
    for text in texts:
        cached += await say(text)
    return {"phrases": len(texts), "already_cached": cached}
