"""Admission control for answer audio: predict how long a new turn's speech would wait and
choose what it gets, instead of letting one queue grow until every visitor waits seconds.

The text of an answer never waits for speech (it goes out first, always); what the prediction
decides is the audio. Levels, from light to heavy load:

- ``full``: the normal short first phrase, then sentence by sentence;
- ``short_first``: a shorter first phrase (fewer CPU-ms before the first audio);
- ``cached_first``: a filler phrase that is already synthesized ("One moment.") plays at once,
  then the answer's audio when the engine gets to it;
- ``text_only``: the predicted wait is longer than an answer is worth waiting for: no audio, and
  the visitor is told (a non-fatal ``speech_busy`` error event) while the text stands.

The choice and the predicted wait go into the turn's timings (and its notes), so the owner sees
on the conversation page why a turn sounded the way it did.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from sitespeak.voice.phrases import FIRST_WORDS, SHORT_FIRST_WORDS
from sitespeak.voice.timings import Timing

if TYPE_CHECKING:  # the speech package imports voice at run time
    from sitespeak.voice.speech_api import Speech

T = TypeVar("T")

LEVELS = ("full", "short_first", "cached_first", "text_only")
FILLER = "One moment."


@dataclass(frozen=True)
class Plan:
    level: str
    predicted_wait_ms: float
    first_words: int = FIRST_WORDS

    @property
    def filler(self) -> str | None:
        return FILLER if self.level == "cached_first" else None

    @property
    def audio(self) -> bool:
        return self.level != "text_only"

    def record(self, timings: dict[str, float], notes: dict[str, str]) -> None:
        timings[Timing.ADMISSION_WAIT] = round(self.predicted_wait_ms, 1)
        timings[Timing.ADMISSION_LEVEL] = float(LEVELS.index(self.level))
        if self.level != "full":
            notes["admission"] = self.level


class Ewma:
    def __init__(self, start_ms: float, weight: float = 0.2) -> None:
        self.value, self.weight = start_ms, weight

    def add(self, ms: float) -> None:
        self.value += self.weight * (ms - self.value)


class SpeechLoad:
    """The speech work this web process has in flight and how long each call has been taking.

    Per process, not per box: a web process cannot see its neighbours' queue, but its own
    in-flight calls times their recent cost is a fair predictor of the next call's wait.
    """

    def __init__(
        self,
        parallel: int,
        budget_ms: float,
        max_wait_ms: float,
        box_wait_ms: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.parallel = max(parallel, 1)
        # The speech process's own prediction for a job arriving now (every web process's work
        # on the box); this process's in-flight calls alone cannot see its neighbours'.
        self.box_wait_ms = box_wait_ms
        self.budget_ms, self.max_wait_ms = budget_ms, max_wait_ms
        self.in_flight = {"stt": 0, "tts": 0}
        self.cost = {"stt": Ewma(150.0), "tts": Ewma(150.0)}

    def predicted_wait_ms(self) -> float:
        work = sum(self.in_flight[k] * self.cost[k].value for k in self.in_flight)
        return work / self.parallel

    def plan(self) -> Plan:
        wait = max(self.predicted_wait_ms(), self.box_wait_ms())
        if wait <= self.budget_ms:
            return Plan("full", wait)
        if wait <= 3 * self.budget_ms:
            return Plan("short_first", wait, SHORT_FIRST_WORDS)
        if wait <= self.max_wait_ms:
            return Plan("cached_first", wait, SHORT_FIRST_WORDS)
        return Plan("text_only", wait)

    async def timed(self, kind: str, call: Awaitable[T]) -> T:
        self.in_flight[kind] += 1
        began = time.perf_counter()
        try:
            return await call
        finally:
            self.in_flight[kind] -= 1
            self.cost[kind].add((time.perf_counter() - began) * 1000)


class MeteredSpeech:
    """A speech engine seen through the process's SpeechLoad: same interface, counted calls."""

    def __init__(self, engine: Speech, load: SpeechLoad) -> None:
        self.engine, self.load = engine, load

    async def transcribe(self, pcm16k: bytes) -> str:
        return await self.load.timed("stt", self.engine.transcribe(pcm16k))

    async def synthesize(self, text: str, *, priority: int = 0) -> tuple[bytes, int]:
        return await self.load.timed("tts", self.engine.synthesize(text, priority=priority))
