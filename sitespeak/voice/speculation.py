"""Start before the end: the turn's work begun at the first unvoiced frame of a pause.

The endpointer only decides that the visitor has finished after a hangover of silence (240 ms
by default). A final decode takes about as long, so it starts when the pause starts, on the
audio up to that frame; when it is done, retrieval, the answer and the first phrase's synthesis
follow. If the visitor speaks again the run is discarded (its answer is lost, never sent) but
its decode is not: the transcript of the audio up to the pause is the live transcript of what
was heard so far, which the caller shows. If the pause becomes the end of speech, the turn takes
the run's Draft and its answer audio is ready, or nearly, the moment the end is confirmed.

Nothing here sends anything: a Draft is only used by a turn that has begun.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from sitespeak.voice.admission import Plan
from sitespeak.voice.ahead import Ahead, first_audio
from sitespeak.voice.by_meaning import Meaning
from sitespeak.voice.persona import Persona
from sitespeak.voice.phrases import split_answer
from sitespeak.voice.stt import LOOP_RUN, longest_run
from sitespeak.voice.timings import Timing
from sitespeak.voice.turn import Draft, Retriever, Vetter, compose, look_up

MIN_QUESTION_WORDS = 3  # "Hello?" or "Okay?" from a pause mid-sentence is not a question


@dataclass(frozen=True)
class Reach:
    """How far a speculative run may go: what is local (cheap, and no provider is billed for
    work that may be discarded)."""

    answer: bool = True  # retrieval and the extractive answer
    first_phrase: bool = True  # the first phrase's audio


async def prepare(
    heard: asyncio.Future[str],
    site_id: int,
    engine: Any,
    retrieve: Retriever,
    vet: Vetter | None,
    plan: Plan,
    reach: Reach,
    history: list[dict[str, str]] | None = None,
    persona: Persona | None = None,
    meaning: Meaning | None = None,
    ahead: Ahead | None = None,
) -> Draft:
    """``ahead``: a first phrase a partial transcript's answer prepared (sitespeak.voice.ahead),
    used when this answer begins with the very same phrase."""
    timings: dict[str, float] = {}
    began = time.perf_counter()

    def stage(name: Timing) -> None:
        nonlocal began
        now = time.perf_counter()
        timings[name] = round((now - began) * 1000, 2)
        began = now

    # Shielded: discarding the run must not cancel the decode, whose text the caller still uses.
    transcript = await asyncio.shield(heard)
    stage(Timing.STT)
    if not reach.answer or not transcript:
        return Draft(transcript, [], None, None, timings, history_len=len(history or []))
    passages = await look_up(site_id, transcript, retrieve, history)
    stage(Timing.RETRIEVAL)
    reply = await compose(site_id, transcript, passages, vet, history, persona, meaning, timings)
    stage(Timing.ANSWER)
    chunks = split_answer(reply.speech, plan.first_words)
    first, prepared = None, None
    if reach.first_phrase and plan.audio and not plan.filler and chunks:
        first, prepared = first_audio(engine, chunks[0], ahead)
    return Draft(
        transcript,
        passages,
        reply,
        first,
        timings,
        first_text=chunks[0] if first else "",
        history_len=len(history or []),
        ahead=prepared,
    )


def whole_question(draft: Draft) -> bool:
    """The run heard a question complete in itself, which the site answers: the turn may end
    at the hangover counted from the last sound. A fragment before a pause at a comma is rarely
    that ("So," / "Hi." / "I would like to know"), and a word loop ("Hello? Hello? Hello?") is
    not taken for one."""
    text = draft.transcript.strip()
    return (
        text.endswith("?")
        and len(text.split()) >= MIN_QUESTION_WORDS
        and longest_run(text) < LOOP_RUN
        and draft.reply is not None
        and draft.reply.covered
    )


class Speculation:
    """One speculative run over ``utterance[:upto]``."""

    def __init__(self, upto: int, task: asyncio.Task) -> None:
        self.upto, self.task = upto, task

    def still_valid(self, voiced_end: int) -> bool:
        """No voiced frame arrived after the audio the run decoded."""
        return voiced_end <= self.upto

    def finished(self) -> Draft | None:
        """The run's Draft once it is done (None while it runs, or when it failed)."""
        task = self.task
        if not task.done() or task.cancelled() or task.exception() is not None:
            return None
        draft: Draft = task.result()
        return draft

    def discard(self) -> None:
        self.task.cancel()
        self.task.add_done_callback(_drop_first_audio)


def _drop_first_audio(task: asyncio.Task) -> None:
    if task.cancelled() or task.exception() is not None:
        return
    first = task.result().first_audio
    if first is not None:
        first.cancel()  # a shared synthesis still finishes into the phrase cache
