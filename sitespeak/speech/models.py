"""The speech models of the box, loaded once by the speech process (and by ``ask --wav``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time

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


class SpeechModels:
    """Whisper and the TTS voice, with the thread counts of a small box."""

    def __init__(self, settings: Settings) -> None:
        from sitespeak.voice.stt import WhisperTranscriber
        from sitespeak.voice.tts import load_synthesizer

        started = time.perf_counter()
        self.stt = WhisperTranscriber(settings.voice_stt_model, settings.voice_stt_threads)
        self.tts = load_synthesizer(settings.voice_tts_voice, settings.voice_tts_threads)
        # One warm-up call each: the first inference pays for allocations.
        self.transcribe_batch([b"\x00" * 16000])
        self.tts.synthesize("Hello.")
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

    def synthesize(self, text: str) -> tuple[bytes, int]:
        """Blocking; PCM16 mono and its rate (espeak-ng's rate is known after the call)."""
        pcm = self.tts.synthesize(text)
        return pcm, self.tts.sample_rate
