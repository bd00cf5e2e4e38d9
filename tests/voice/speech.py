"""Test speech made from text with piper (Whisper reads it back without errors), at 16 kHz."""

from __future__ import annotations

import functools

from sitespeak.voice.audio import resample, silence
from sitespeak.voice.tts import PiperSynthesizer


@functools.lru_cache(maxsize=1)
def _voice() -> PiperSynthesizer:
    return PiperSynthesizer()


@functools.lru_cache(maxsize=32)
def speech(text: str, lead_ms: int = 300, tail_ms: int = 800) -> bytes:
    """PCM16 16 kHz mono: silence, the spoken text, then enough silence to end the turn."""
    voice = _voice()
    spoken = resample(voice.synthesize(text), voice.sample_rate, 16000)
    return silence(lead_ms) + spoken + silence(tail_ms)
