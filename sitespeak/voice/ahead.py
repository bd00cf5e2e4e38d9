"""The answer's first phrase synthesized from a partial transcript, before the visitor is done.

The speculative run (sitespeak.voice.speculation) starts 80 ms into the final pause, decodes
(~120 ms), answers, and only then synthesizes the answer's first phrase: on a quiet box that
synthesis (~100 ms of piper) is what a visitor still waits for once the turn has ended. The
partial transcripts made while the visitor speaks usually find the same top passage, so the
same first phrase (an extractive answer starts with its best sentence): answered as they come,
the phrase is synthesized then, at low priority, and a speculative run whose own first phrase
is word for word the same plays that audio instead of waiting for a synthesis.

The answer is always the whole question's: a prepared phrase is only ever used by an answer
that begins with exactly that phrase; any other is thrown away unheard.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sitespeak.voice.admission import Plan
from sitespeak.voice.speakable import speakable
from sitespeak.voice.speech_api import PRIORITY_FIRST

if TYPE_CHECKING:  # the speech package imports voice at run time
    from sitespeak.voice.speech_api import Speech

log = logging.getLogger(__name__)

# Optional work: only when a first phrase asked for now would hardly wait (the same bar as a
# partial transcript's), so a busy box spends nothing on phrases that may never be said.
MAX_WAIT_MS = 200.0


@dataclass
class Ahead:
    """A first phrase (as sitespeak.voice.phrases cut it) and its synthesis, low priority."""

    text: str
    heard: str  # the partial transcript it answers
    audio: asyncio.Future

    @property
    def failed(self) -> bool:
        audio = self.audio
        return audio.done() and (audio.cancelled() or audio.exception() is not None)

    def drop(self) -> None:
        """Not needed any more: a synthesis still queued is dropped (a running one finishes,
        into the speech process's phrase cache)."""
        self.audio.cancel()


def worth_it(plan: Plan) -> bool:
    """The box is quiet enough for optional synthesis."""
    return plan.level == "full" and plan.predicted_wait_ms <= MAX_WAIT_MS


def start(text: str, heard: str, synthesize: Callable[[], Awaitable[tuple[bytes, int]]]) -> Ahead:
    audio = asyncio.ensure_future(synthesize())
    audio.add_done_callback(_quiet)  # a phrase nobody used may fail unheard
    return Ahead(text, heard, audio)


def first_audio(
    engine: Speech, phrase: str, ahead: Ahead | None
) -> tuple[asyncio.Future, bool | None]:
    """The synthesis of an answer's first phrase ``phrase`` and whether a partial transcript's
    answer had prepared it (None: nothing was prepared). A prepared synthesis still waiting is
    asked for again at a first phrase's priority: the speech process shares one synthesis
    between callers and moves the waiting one up. A guess this answer does not begin with is
    dropped: no CPU for it now."""
    if ahead is None or ahead.failed:
        return _synthesize(engine, phrase), None
    if ahead.text != phrase:
        ahead.drop()
        return _synthesize(engine, phrase), False
    if ahead.audio.done():
        return ahead.audio, True
    return _synthesize(engine, phrase), True


def _synthesize(engine: Speech, phrase: str) -> asyncio.Future:
    return asyncio.ensure_future(engine.synthesize(speakable(phrase), priority=PRIORITY_FIRST))


def _quiet(audio: asyncio.Future) -> None:
    if not audio.cancelled() and audio.exception() is not None:
        log.debug("a first phrase prepared ahead failed: %s", audio.exception())
