"""PCM helpers: resampling, framing and WAV files (mono 16-bit only)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

SAMPLE_WIDTH = 2  # bytes per PCM16 sample


def frame_bytes(sample_rate: int, ms: int = 20) -> int:
    return sample_rate * ms // 1000 * SAMPLE_WIDTH


def resample(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Linear-interpolation resampling; plenty for speech going to Whisper or a speaker."""
    if src_rate == dst_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    count = max(int(len(samples) * dst_rate / src_rate), 1)
    positions = np.linspace(0, len(samples) - 1, count)
    out = np.interp(positions, np.arange(len(samples)), samples)
    return np.clip(out, -32768, 32767).astype(np.int16).tobytes()


def to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0


def split_frames(pcm: bytes, size: int) -> list[bytes]:
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def read_wav(path: Path | str, want_rate: int = 16000) -> bytes:
    """A mono PCM16 WAV file as PCM16 at ``want_rate``."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != SAMPLE_WIDTH or wav.getnchannels() != 1:
            raise ValueError(
                f"{path}: need a mono 16-bit WAV (got {wav.getnchannels()} "
                f"channels, {8 * wav.getsampwidth()}-bit)"
            )
        rate, pcm = wav.getframerate(), wav.readframes(wav.getnframes())
    return resample(pcm, rate, want_rate)


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def silence(ms: int, sample_rate: int = 16000) -> bytes:
    return b"\x00" * (sample_rate * ms // 1000 * SAMPLE_WIDTH)


def rms(pcm: bytes) -> float:
    if not pcm:
        return 0.0
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples)))
