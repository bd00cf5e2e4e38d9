"""What the voice code calls for speech, wherever the models run: the speech process
(``sitespeak.speech.client.SpeechClient``, the web process) or in-process (``ask --wav``
without a speech process).

Every method raises ``sitespeak.errors.SpeechUnavailable`` when speech cannot be had now
(process down, unreachable, overloaded); none waits forever.
"""

from __future__ import annotations

from typing import Protocol

# Synthesis priorities: higher goes first. A visitor's first phrase (and an acknowledgement
# filler) before later sentences of any answer; background work (instant answers prepared by
# the worker) below every visitor's turn. Transcriptions always run at TRANSCRIBE.
PRIORITY_BACKGROUND = -1
# A first phrase prepared from a partial transcript (sitespeak.voice.ahead): a guess, run only
# while the speech process has nothing else to run, so it never slows a decode or a phrase
# someone waits for. A first phrase asking for the same text moves it up (shared synthesis).
PRIORITY_AHEAD = -2
PRIORITY_LATER = 0
PRIORITY_FIRST = 1
PRIORITY_FILLER = 2
PRIORITY_TRANSCRIBE = 3


class Synthesized(tuple[bytes, int]):
    """(PCM16 mono, sample rate), as every engine returns it, and whether it came from the
    phrase cache (the turn records an instant answer). Unpacks as the plain pair."""

    cached: bool

    def __new__(cls, pcm: bytes, rate: int, cached: bool = False) -> Synthesized:
        made = super().__new__(cls, (pcm, rate))
        made.cached = cached
        return made


class Speech(Protocol):
    """What a turn calls: an engine, or a wrapper around one (metered, a provider's speech)."""

    async def transcribe(self, pcm16k: bytes) -> str:
        """16 kHz mono PCM16 of one utterance → its text."""
        ...

    async def synthesize(self, text: str, *, priority: int = PRIORITY_LATER) -> tuple[bytes, int]:
        """Text → (PCM16 mono, sample rate)."""
        ...


class SpeechEngine(Speech, Protocol):
    stt_name: str  # for the turn record, e.g. "whisper-ct2"
    tts_name: str  # e.g. "piper" or "espeak-ng"

    async def transcribe_partial(self, pcm16k: bytes) -> str:
        """A live caption of speech still going on: optional work, which the speech process
        runs after any finished question and first phrase."""
        ...

    async def ready(self) -> SpeechEngine:
        """Models loaded (or the speech process reachable); raises SpeechUnavailable."""
        ...

    @property
    def idle(self) -> bool:
        """Nothing queued or running: optional work (partial transcripts) may go ahead."""
        ...

    def close(self) -> None: ...
