"""The speech models of one process, loaded once, and the thread pool their inference runs on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

from sitespeak.errors import SpeechUnavailable
from sitespeak.settings import Settings
from sitespeak.voice.speech_cache import SentenceCache
from sitespeak.voice.stt import WhisperTranscriber
from sitespeak.voice.tts import Synthesizer, load_synthesizer

log = logging.getLogger(__name__)
T = TypeVar("T")


class Models(NamedTuple):
    stt: WhisperTranscriber
    tts: Synthesizer


class SpeechEngine:
    """STT and TTS behind a bounded pool: models are big and the box has few cores."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = ThreadPoolExecutor(
            max_workers=settings.voice_inference_threads, thread_name_prefix="voice"
        )
        self._loading: asyncio.Future[Models] | None = None
        self.loaded: Models | None = None
        self.in_flight = 0
        self.sentences = SentenceCache(settings.voice_tts_cache_mb * 2**20)

    def _load(self) -> Models:
        start = time.perf_counter()
        models = Models(
            WhisperTranscriber(self.settings.voice_stt_model, self.settings.voice_stt_threads),
            load_synthesizer(self.settings.voice_tts_voice),
        )
        # One warm-up call each: the first inference pays for allocations.
        models.stt.transcribe(b"\x00" * 16000)
        models.tts.synthesize("Hello.")
        log.info(
            "voice models ready in %.2fs (stt %s, tts %s)",
            time.perf_counter() - start,
            models.stt.model_dir,
            models.tts.name,
        )
        return models

    async def models(self) -> Models:
        """Load on first use (or at start-up); every caller awaits the same load."""
        if self._loading is None:
            loop = asyncio.get_running_loop()
            self._loading = loop.run_in_executor(self.pool, self._load)
        try:
            self.loaded = await asyncio.shield(self._loading)
        except Exception as exc:  # a model that cannot load: speech is down, text still works
            raise SpeechUnavailable(f"the speech models could not load: {exc}") from exc
        return self.loaded

    async def ready(self) -> SpeechEngine:
        await self.models()
        return self

    async def run(self, fn: Callable[..., T], *args) -> T:
        self.in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        finally:
            self.in_flight -= 1

    @property
    def idle(self) -> bool:
        """Loaded and nothing running: optional work (partial transcripts) may go ahead."""
        return self.loaded is not None and self.in_flight == 0

    async def transcribe(self, pcm16k: bytes) -> str:
        stt = (await self.models()).stt
        return await self.run(stt.transcribe, pcm16k)

    async def transcribe_partial(self, pcm16k: bytes) -> str:
        """One pool here: a partial transcript is not ranked below other work."""
        return await self.transcribe(pcm16k)

    async def synthesize(self, sentence: str, *, priority: int = 0) -> tuple[bytes, int]:
        """``priority`` (higher first) is honoured by the speech process; one pool here."""
        return await self.sentences.get(sentence, lambda: self._synthesize(sentence))

    async def _synthesize(self, sentence: str) -> tuple[bytes, int]:
        tts = (await self.models()).tts
        pcm = await self.run(tts.synthesize, sentence)
        return pcm, tts.sample_rate

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
