"""The speech models of the box, loaded once by the speech process (and by ``ask --wav``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sitespeak.settings import Settings

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc mallopt parameter


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives every thread that allocates its own arena (up to 8 per core), and the
    inference threads leave each one holding freed tensors: RSS grows by tens of MB that are
    never reused. Two arenas are plenty for a handful of inference threads."""
    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        pass


def release_free_memory() -> None:
    """Hand the pages of freed heap memory back to the kernel (glibc's malloc_trim). A batch
    of ten decodes allocates tens of MB of activations; once freed, glibc keeps them mapped
    (its mmap threshold rises after the first large free, so later buffers come from the
    heap), and RSS stays at the largest batch's peak for good. No-op without glibc."""
    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        pass


class TextEmbedder(Protocol):
    """The query embedder the entry point hands in (sitespeak.knowledge's local one)."""

    name: str

    def embed(self, texts: Sequence[str]) -> Any: ...


class SpeechModels:
    """Whisper, the TTS voice and the query embedder, with the thread counts of a small box.

    The query embedder lives here, not in the web processes: piper already maps onnxruntime
    into this process, so the embedder adds only its model, once per box, where queries of
    every web process can be embedded in one batch."""

    def __init__(
        self, settings: Settings, embedder: Callable[[Settings], TextEmbedder | None] | None = None
    ) -> None:
        from sitespeak.voice.stt import WhisperTranscriber
        from sitespeak.voice.tts import load_synthesizer

        started = time.perf_counter()
        self.stt = WhisperTranscriber(settings.voice_stt_model, settings.voice_stt_threads)
        self.tts = load_synthesizer(settings.voice_tts_voice, settings.voice_tts_threads)
        # None with an embeddings API: the web processes call it themselves.
        self.embedder = embedder(settings) if embedder is not None else None
        # One warm-up call each: the first inference pays for allocations.
        self.transcribe_batch([b"\x00" * 16000])
        self.tts.synthesize("Hello.")
        if self.embedder is not None:
            self.embedder.embed(["Hello?"])
        self.load_seconds = time.perf_counter() - started
        log.info(
            "speech models ready in %.2fs (stt %s from %s, tts %s)",
            self.load_seconds,
            self.stt_name,
            self.stt.model_dir,
            self.tts_name,
        )

    @property
    def stt_name(self) -> str:
        return getattr(self.stt, "name", "whisper")

    @property
    def tts_name(self) -> str:
        return self.tts.name

    @property
    def sample_rate(self) -> int:
        return self.tts.sample_rate

    def transcribe_batch(self, clips: list[bytes]) -> list[str]:
        """Blocking. One batched decode when the transcriber has one, else one after another."""
        batch = getattr(self.stt, "transcribe_batch", None)
        if batch is not None and len(clips) > 1:
            return list(batch(clips))
        return [self.stt.transcribe(clip) for clip in clips]

    @property
    def embedder_name(self) -> str:
        return self.embedder.name if self.embedder is not None else ""

    def embed_batch(self, requests: list[list[str]]) -> list[Any]:
        """Blocking. The texts of several requests in one call; each request gets its rows
        (a float32 matrix, one unit-length row per text)."""
        if self.embedder is None:
            raise ValueError("this speech process has no query embedder")
        flat = [text for texts in requests for text in texts]
        matrix = self.embedder.embed(flat)
        rows, start = [], 0
        for texts in requests:
            rows.append(matrix[start : start + len(texts)])
            start += len(texts)
        return rows

    def synthesize(self, text: str) -> tuple[bytes, int]:
        """Blocking; PCM16 mono and its rate (espeak-ng's rate is known after the call)."""
        pcm = self.tts.synthesize(text)
        return pcm, self.tts.sample_rate
