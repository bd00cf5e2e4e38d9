"""PCM helpers: resampling, framing and WAV files (mono 16-bit only)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import soxr

SAMPLE_WIDTH = 2  # bytes per PCM16 sample


def frame_bytes(sample_rate: int, ms: int = 20) -> int:
    return sample_rate * ms // 1000 * SAMPLE_WIDTH


def resample(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """One whole clip, band-limited (libsoxr): going down, what the new rate cannot carry is
    filtered out instead of folding back as audible aliasing."""
    if src_rate == dst_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype=np.int16)
    return np.asarray(soxr.resample(samples, src_rate, dst_rate, quality="HQ")).tobytes()


class StreamResampler:
    """Resamples a stream that arrives in chunks (the Realtime bridge's audio): the filter keeps
    its state across chunks, so chunk edges make no clicks. A pass-through when rates match."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self._stream = (
            None
            if src_rate == dst_rate
            else soxr.ResampleStream(src_rate, dst_rate, 1, dtype="int16", quality="HQ")
        )

    def feed(self, pcm: bytes, last: bool = False) -> bytes:
        if self._stream is None:
            return pcm
        samples = np.frombuffer(pcm, dtype=np.int16)
        return np.asarray(self._stream.resample_chunk(samples, last=last)).tobytes()


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
