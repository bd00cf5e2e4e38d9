"""One turn, top to bottom: (audio → VAD already done) → STT → retrieval → answer → TTS →
frames. Every stage streams to the outlet as soon as it has something; timings are recorded.

A turn runs as its own asyncio task: barge-in cancels it, and what was actually sent is kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from sitespeak.voice import answer as answerer
from sitespeak.voice import streamed
from sitespeak.voice.audio import resample
from sitespeak.voice.engine import SpeechEngine
from sitespeak.voice.protocol import (
    Citation,
    PageAction,
    ResponseAction,
    ResponseDone,
    ResponseStarted,
    ResponseTextDelta,
    TranscriptFinal,
)

Retriever = Callable[[int, str, int], Awaitable[list[Any]]]
# (site_id, question, answer) → the answer to send, its actions limited to the site's catalog.
Vetter = Callable[[int, str, answerer.Answer], Awaitable[answerer.Answer]]
PASSAGES = 8


class Outlet(Protocol):
    async def event(self, message: BaseModel) -> None: ...
    async def audio(self, pcm: bytes) -> None: ...


@dataclass
class TurnInput:
    seq: int
    mode: Literal["speech", "text"]
    ended_at: float  # perf_counter when the end of speech (or the text) was known
    text: str = ""  # a text turn's question, or the latest partial transcript
    audio: bytes = b""  # 16 kHz PCM16 of the utterance
    eos_delay: float = 0.0  # last voiced frame → end of speech decided


@dataclass
class TurnResult:
    seq: int
    mode: str
    transcript: str = ""
    spoken: list[str] = field(default_factory=list)
    citations: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    covered: bool = False
    interrupted: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # providers used, fallbacks

    @property
    def answer(self) -> str:
        return " ".join(self.spoken)

    def done_event(self) -> ResponseDone:
        return ResponseDone(
            turn=self.seq,
            text=self.answer,
            covered=self.covered,
            citations=[Citation(**c) for c in self.citations],
            interrupted=self.interrupted,
            timings=self.timings,
        )

    def row(self, provider: dict[str, str]) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "input_mode": self.mode,
            "transcript": self.transcript,
            "answer": self.answer,
            "covered": self.covered,
            "interrupted": self.interrupted,
            "citations": self.citations,
            "actions": self.actions,
            "timings": self.timings,
            "provider": {**provider, **self.notes},
        }


class Clock:
    """Milliseconds since the end of speech, per stage."""

    def __init__(self, origin: float, timings: dict[str, float]) -> None:
        self.origin, self.timings, self._last = origin, timings, time.perf_counter()

    def stage(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round((now - self._last) * 1000, 2)
        self._last = now

    def since_end(self, name: str) -> None:
        self.timings.setdefault(name, round((time.perf_counter() - self.origin) * 1000, 2))


async def run_turn(
    turn: TurnInput,
    result: TurnResult,
    site_id: int,
    engine: SpeechEngine,
    retrieve: Retriever,
    out: Outlet,
    output_rate: int,
    vet: Vetter | None = None,
    answer_with: streamed.StreamingAnswerer | None = None,
    history: list[dict[str, str]] | None = None,
) -> TurnResult:
    """Fill ``result`` as the turn goes, so a cancelled turn still says what was sent."""
    clock = Clock(turn.ended_at, result.timings)
    result.timings["eos_delay_ms"] = round(turn.eos_delay * 1000, 2)

    # 1. Feedback the moment the end of speech is known: what we have so far.
    state = "heard_you" if turn.mode == "speech" else "answering"
    await out.event(ResponseStarted(turn=turn.seq, state=state, transcript=turn.text))
    clock.since_end("eos_to_started_ms")

    # 2. Speech to text (text turns skip it).
    question = turn.text
    if turn.mode == "speech":
        clock.stage("wait_ms")
        question = await engine.transcribe(turn.audio)
        clock.stage("stt_ms")
        await out.event(TranscriptFinal(text=question))
    result.transcript = question

    # 3. Retrieval from the site's knowledge base.
    target = answerer.navigation_target(question)
    query = target or answerer.search_query(question)
    passages = await retrieve(site_id, query, PASSAGES) if question else []
    clock.stage("retrieval_ms")

    if answer_with is not None:  # 4–5 with a streaming provider (sitespeak.voice.streamed)
        await streamed.answer_and_speak(
            answer_with,
            question,
            passages,
            history or [],
            turn.seq,
            engine,
            out,
            output_rate,
            clock,
            result,
            _action_gate(vet, site_id),
        )
        clock.since_end("total_ms")
        return result

    # 4. The answer: extractive, so its first token is its whole text.
    reply = answerer.answer(question, passages)
    if vet is not None:
        reply = await vet(site_id, question, reply)
    clock.stage("answer_ms")
    result.citations, result.covered = reply.citations, reply.covered
    for number, action in enumerate(reply.actions):
        page_action = PageAction(action_id=f"{turn.seq}.{number}", **action)
        result.actions.append(page_action.model_dump())
        await out.event(ResponseAction(turn=turn.seq, action=page_action))

    # 5. Speech out: sentence by sentence, the next one synthesized while this one is sent.
    await speak(reply.sentences, turn.seq, engine, out, output_rate, clock, result)
    clock.since_end("total_ms")
    return result


def _action_gate(vet: Vetter | None, site_id: int):
    """One streamed action through the same catalog gate as a whole answer."""
    if vet is None:
        return None

    async def gate(action: dict[str, Any]) -> dict[str, Any] | None:
        vetted = await vet(site_id, "", answerer.Answer([], [], True, [action]))
        return vetted.actions[0] if vetted.actions else None

    return gate


async def speak(
    sentences: list[str],
    seq: int,
    engine: SpeechEngine,
    out: Outlet,
    rate: int,
    clock: Clock,
    result: TurnResult,
) -> None:
    pending = asyncio.ensure_future(engine.synthesize(sentences[0])) if sentences else None
    try:
        for index, sentence in enumerate(sentences):
            pcm, source_rate = await pending
            if index == 0:
                clock.stage("tts_first_audio_ms")
            pending = (
                asyncio.ensure_future(engine.synthesize(sentences[index + 1]))
                if index + 1 < len(sentences)
                else None
            )
            await out.event(ResponseTextDelta(turn=seq, text=sentence))
            if index == 0:
                clock.since_end("eos_to_first_audio_ms")
            await out.audio(resample(pcm, source_rate, rate))
            result.spoken.append(sentence)
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
