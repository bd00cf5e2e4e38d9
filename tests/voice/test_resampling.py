"""Resampling audio between the visitor's format, the models' 16 kHz and a provider's 24 kHz."""

from __future__ import annotations

import numpy as np

from sitespeak.voice.audio import StreamResampler, resample


def tone(hz: float, rate: int, seconds: float = 1.0) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * 12000).astype(np.int16).tobytes()


def level(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    middle = samples[len(samples) // 10 : -len(samples) // 10]  # the filter's edges aside
    return float(np.sqrt(np.mean(middle * middle)))


def test_a_tone_above_the_new_nyquist_frequency_is_filtered_out_not_folded_back():
    # 10 kHz cannot exist at 16 kHz (Nyquist 8 kHz); interpolation would fold it to 6 kHz.
    high = resample(tone(10_000, 48_000), 48_000, 16_000)
    kept = resample(tone(1_000, 48_000), 48_000, 16_000)
    assert level(high) < level(kept) / 100
    assert len(high) == len(kept) == 2 * 16_000


def test_audio_resampled_in_chunks_matches_the_whole_clip():
    clip = tone(440, 24_000) + tone(880, 24_000)
    stream = StreamResampler(24_000, 16_000)
    chunks = [stream.feed(clip[i : i + 1_200]) for i in range(0, len(clip), 1_200)]
    joined = b"".join(chunks) + stream.feed(b"", last=True)
    whole = resample(clip, 24_000, 16_000)
    a, b = (np.frombuffer(x, dtype=np.int16).astype(np.float64) for x in (joined, whole))
    assert len(a) == len(b)
    assert np.max(np.abs(a - b)) <= 2  # rounding only: no click at any chunk edge


def test_equal_rates_pass_audio_through_untouched():
    clip = tone(440, 16_000, 0.1)
    assert resample(clip, 16_000, 16_000) == clip
    assert StreamResampler(16_000, 16_000).feed(clip) == clip
