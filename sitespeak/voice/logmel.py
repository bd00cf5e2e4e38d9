"""Whisper's log-mel features in numpy: 25 ms Hann windows every 10 ms, 80 Slaney mel bands,
log10, clamped to 8 decades below the loudest, scaled as Whisper was trained.

The same computation as faster-whisper's FeatureExtractor (checked by tests/voice/test_stt.py), kept
here because importing anything from faster_whisper runs its package ``__init__``, which imports
PyAV (~100 MB installed, and memory in every process that transcribes) for nothing we use.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160


@functools.lru_cache(maxsize=2)
def mel_filters(n_mels: int = 80) -> np.ndarray:
    """Slaney-style mel filterbank (librosa's default, which Whisper used), [n_mels, 201]."""
    fft_freqs = np.fft.rfftfreq(n=N_FFT, d=1.0 / SAMPLE_RATE)
    mels = np.linspace(0.0, 45.245640471924965, n_mels + 2)  # 0 Hz to 8 kHz in Slaney mels
    freqs = 200.0 / 3 * mels  # linear below 1 kHz ...
    min_log_mel, log_step = 15.0, np.log(6.4) / 27.0
    high = mels >= min_log_mel
    freqs[high] = 1000.0 * np.exp(log_step * (mels[high] - min_log_mel))  # ... logarithmic above
    ramps = freqs.reshape(-1, 1) - fft_freqs.reshape(1, -1)
    widths = np.diff(freqs)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (freqs[2 : n_mels + 2] - freqs[:n_mels]))[:, None]  # equal area per band
    return weights.astype(np.float32)


def log_mel(audio: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """float32 samples at 16 kHz -> [n_mels, len(audio) // 160] features."""
    audio = np.pad(audio.astype(np.float32, copy=False), (0, HOP))  # as Whisper: one hop of zeros
    padded = np.pad(audio, N_FFT // 2, mode="reflect")  # centred frames
    count = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, (count, N_FFT), (HOP * padded.strides[0], padded.strides[0])
    )
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)
    spectrum = np.fft.rfft(frames * window, axis=-1).astype(np.complex64)
    power = (np.abs(spectrum[:-1]) ** 2).T  # the last frame is dropped, as Whisper does
    log_spec = np.log10(np.clip(mel_filters(n_mels) @ power, 1e-10, None))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)
