"""A prepared question's answer (an instant answer), composed once.

The extractive answerer is pure Python and takes 30-200 ms on a loaded box: on an instant
answer's turn it was the largest part of the time before the first audio, although the passages
are the prepared ones and so is the answer. The prepared set (sitespeak.instant.matching) hands
a matched question's passages out as ``PreparedPassages``, which carry the answers composed from
them; a set reloaded with other passages for a question (a new knowledge version whose words
changed, a new preparation) carries new ones, so an answer never outlives its passages.

The answer is a function of the question as understood (or the page a navigation names), the
passages and the persona. The passages are matched by the normalised query, so an answer is
kept under what else varies: navigation or not, the persona and the number of passages. A
follow-up understood through the conversation neither takes nor leaves one: the words of the
question it resolved to are not the visitor's, and a second look by meaning reads the visitor's.
A decline after a second look is not kept (the look may have had no embedding this time). The
page actions are vetted on every turn, as before: the vetting reads the visitor's own words and
the live release's catalog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import replace
from typing import Any

from sitespeak.voice import answer as answerer
from sitespeak.voice.persona import Persona


class PreparedPassages(list):
    """A prepared question's passages, with the answers composed from them by key: an Answer,
    or the future of one being composed (the turns asking at once wait for that one)."""

    def __init__(self, passages: Iterable[Any], answers: dict[Hashable, Any] | None = None):
        super().__init__(passages)
        self.answers: dict[Hashable, Any] = {} if answers is None else answers

    def first(self, k: int) -> PreparedPassages:
        return PreparedPassages(self[:k], self.answers)


def key_for(
    question: str,
    passages: list[Any],
    history: list[dict[str, str]] | None,
    persona: Persona | None,
) -> Hashable | None:
    """Where the answer to ``question`` from ``passages`` is kept; None when it is not."""
    if not isinstance(passages, PreparedPassages) or not question.strip():
        return None
    if history and answerer.understand(question, history) != question:
        return None  # a follow-up: answered as composed now, in its conversation
    navigation = answerer.navigation_target(question) is not None
    return (navigation, persona or Persona(), len(passages))


async def composed_once(
    question: str,
    passages: PreparedPassages,
    key: Hashable,
    compose: Callable[[], Awaitable[answerer.Answer]],
    keep: Callable[[answerer.Answer], bool],
) -> tuple[answerer.Answer, bool]:
    """The answer and whether it was composed before (or by another turn meanwhile)."""
    held = passages.answers.get(key)
    if isinstance(held, answerer.Answer):
        return _as_asked(held, question), True
    if held is not None:
        return _as_asked(await asyncio.shield(held), question), True
    # Shielded: a turn cut short by barge-in leaves the composition to the others waiting.
    future = asyncio.ensure_future(compose())
    passages.answers[key] = future
    future.add_done_callback(lambda done: _settle(passages.answers, key, done, keep))
    return await asyncio.shield(future), False


def _settle(
    answers: dict[Hashable, Any],
    key: Hashable,
    done: asyncio.Future,
    keep: Callable[[answerer.Answer], bool],
) -> None:
    if answers.get(key) is not done:
        return
    if done.cancelled() or done.exception() is not None or not keep(done.result()):
        del answers[key]  # the next turn composes it again
    else:
        answers[key] = done.result()


def _as_asked(reply: answerer.Answer, question: str) -> answerer.Answer:
    """Understood as this turn's question (a stand-alone one: itself), not the first asker's."""
    return replace(reply, understood=question) if reply.understood else reply
