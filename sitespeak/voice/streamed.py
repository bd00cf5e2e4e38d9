"""Step 4–5 of a turn when the answer streams (a provider such as sitespeak.providers.chat):
sentences arrive one by one; the first goes to TTS the moment it is complete, and the next is
fetched and synthesized while the current one's audio is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Any, Protocol

from sitespeak.voice.audio import resample
from sitespeak.voice.protocol import PageAction, ResponseAction, ResponseTextDelta
from sitespeak.voice.speakable import speakable
from sitespeak.voice.timings import Timing


class StreamingAnswerer(Protocol):
    name: str

    def stream(
        self, question: str, passages: list[Any], history: list[dict[str, str]], sink: AnswerSink
    ) -> AsyncGenerator[str, None]: ...


class AnswerSink:
    """What a streaming answerer may do to the turn besides yielding sentences."""

    def __init__(self, seq: int, out: Any, result: Any, clock: Any, gate: Any = None) -> None:
        self.seq, self.out, self.result, self.clock = seq, out, result, clock
        self.actions = result.actions
        self.gate = gate  # async action -> the catalog's version of it, or None (refused)

    async def delta(self, text: str) -> None:
        if text:
            await self.out.event(ResponseTextDelta(turn=self.seq, text=text))

    async def action(self, action: dict[str, Any]) -> None:
        if self.gate is not None:
            vetted = await self.gate(action)
            if vetted is None:
                self.note("action_refused", f"{action.get('kind')} {action.get('url')}")
                return
            action = vetted
        page_action = PageAction(action_id=f"{self.seq}.{len(self.actions)}", **action)
        self.actions.append(page_action.model_dump())
        await self.out.event(ResponseAction(turn=self.seq, action=page_action))

    def cite(self, citations: list[dict[str, str]], covered: bool) -> None:
        self.result.citations, self.result.covered = citations, covered

    def first_token(self) -> None:
        self.clock.stage(Timing.ANSWER_FIRST_TOKEN)

    def tool(self, name: str, args: dict[str, Any]) -> None:
        self.result.timings[f"tool_{name}_at_ms"] = round(
            (time.perf_counter() - self.clock.origin) * 1000, 2
        )

    def note(self, key: str, text: str) -> None:
        notes = self.result.notes
        notes[key] = f"{notes[key]}; {text}" if notes.get(key) else text


async def answer_and_speak(
    answerer: StreamingAnswerer,
    question: str,
    passages: list[Any],
    history: list[dict[str, str]],
    seq: int,
    engine: Any,
    out: Any,
    rate: int,
    clock: Any,
    result: Any,
    gate: Any = None,
) -> None:
    sink = AnswerSink(seq, out, result, clock, gate)
    sentences = answerer.stream(question, passages, history, sink)

    async def next_audio() -> tuple[str, bytes, int] | None:
        try:
            sentence = await sentences.__anext__()
        except StopAsyncIteration:
            return None
        # The first sentence is what the visitor waits for: it goes ahead of later ones.
        priority = 0 if result.spoken else 1
        pcm, source_rate = await engine.synthesize(speakable(sentence), priority=priority)
        return sentence, pcm, source_rate

    pending = asyncio.ensure_future(next_audio())
    first = True
    try:
        while (item := await pending) is not None:
            sentence, pcm, source_rate = item
            if first:
                clock.stage(Timing.TTS_FIRST_AUDIO)
            pending = asyncio.ensure_future(next_audio())
            if first:
                clock.since_end(Timing.EOS_TO_FIRST_AUDIO)
                first = False
            await out.audio(resample(pcm, source_rate, rate))
            result.spoken.append(sentence)
    finally:
        if not pending.done():
            pending.cancel()
        await asyncio.gather(pending, return_exceptions=True)
        await sentences.aclose()  # closes the provider's stream (barge-in, errors)
