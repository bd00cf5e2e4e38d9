"""OpenAI speech for the turn pipeline: transcriptions for spoken turns, streamed speech for
answers (PCM16 24 kHz, resampled to the session's format by the turn). Each call has the
first-token budget; past it, or on any failure, the local model answers and the turn notes it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sitespeak.voice.audio import wav_bytes
from sitespeak.voice.speech_api import Speech

log = logging.getLogger(__name__)
SPEECH_RATE = 24000  # response_format="pcm" is 24 kHz mono PCM16


class ProviderSpeech:
    """The turn's ``engine``: transcribe/synthesize through OpenAI where chosen, else local."""

    def __init__(
        self,
        local: Speech,
        client: Any,
        stt_model: str | None,
        tts_model: str | None,
        voice: str,
        budget: float,
        notes: dict[str, str],
    ) -> None:
        self.local, self.client = local, client
        self.stt_model, self.tts_model, self.voice = stt_model, tts_model, voice
        self.budget, self.notes = budget, notes

    async def transcribe(self, pcm16k: bytes) -> str:
        if not self.stt_model:
            return await self.local.transcribe(pcm16k)
        try:
            return await asyncio.wait_for(self._transcribe(pcm16k), self.budget)
        except Exception as exc:  # noqa: BLE001 - timeouts and API errors degrade alike
            self._fell_back("stt", exc)
            return await self.local.transcribe(pcm16k)

    async def _transcribe(self, pcm16k: bytes) -> str:
        if len(pcm16k) < 3200:
            return ""
        reply = await self.client.audio.transcriptions.create(
            model=self.stt_model,
            file=("speech.wav", wav_bytes(pcm16k, 16000), "audio/wav"),
            language="en",
        )
        return (reply.text or "").strip()

    async def synthesize(self, sentence: str, *, priority: int = 0) -> tuple[bytes, int]:
        if not self.tts_model or "tts" in self.notes.get("fallback", ""):
            return await self.local.synthesize(sentence, priority=priority)
        try:
            return await asyncio.wait_for(self._synthesize(sentence), self.budget)
        except Exception as exc:  # noqa: BLE001
            self._fell_back("tts", exc)
            return await self.local.synthesize(sentence, priority=priority)

    async def _synthesize(self, sentence: str) -> tuple[bytes, int]:
        parts = []
        async with self.client.audio.speech.with_streaming_response.create(
            model=self.tts_model, voice=self.voice, input=sentence, response_format="pcm"
        ) as response:
            async for chunk in response.iter_bytes():
                parts.append(chunk)
        pcm = b"".join(parts)
        return pcm[: len(pcm) // 2 * 2], SPEECH_RATE

    def _fell_back(self, stage: str, exc: BaseException) -> None:
        why = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        note = f"{stage}: {why}; used the local model"
        previous = self.notes.get("fallback")
        self.notes["fallback"] = f"{previous}; {note}" if previous else note
        log.warning("openai %s fell back to local: %s", stage, why)
