"""Test speech made from text with piper (Whisper reads it back without errors) or espeak-ng, at
16 kHz, and the visitor questions the speech-to-text tests read back."""

from __future__ import annotations

import functools

from sitespeak.voice.audio import resample, silence
from sitespeak.voice.tts import EspeakSynthesizer, PiperSynthesizer, Synthesizer, default_voice

# Short questions a visitor asks a small business's site: hours, prices, where, parking, delivery,
# phone, returns, contact page. Spelling as Whisper writes it (US).
VISITOR_QUESTIONS = [
    "What are your opening hours?",
    "Are you open on Sunday?",
    "How much does a birthday cake cost?",
    "Where is your shop?",
    "Is there parking nearby?",
    "Do you deliver to the city center?",
    "What is your phone number?",
    "How can I return an order?",
    "Where is the contact page?",
    "Do you have fresh bread every day?",
    "When do you close on Saturday?",
    "Can I order a cake online?",
    "Who founded the bakery?",
    "Do you sell coffee?",
    "How long does delivery take?",
    "Can I pay with a credit card?",
    "Do you have vegan cakes?",
    "What is your email address?",
    "What are your prices?",
    "Can I pick up my order in the morning?",
]


@functools.lru_cache(maxsize=1)
def _voice() -> PiperSynthesizer:
    return PiperSynthesizer()


@functools.lru_cache(maxsize=1)
def _espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def voice(name: str) -> Synthesizer:
    return _espeak() if name == "espeak-ng" else _voice()


@functools.lru_cache(maxsize=1)
def _steady_piper():
    from piper import PiperVoice, SynthesisConfig

    # piper samples noise (noise_scale, noise_w): the same text sounds a little different each
    # time, and Whisper's WER on 20 questions moved between 3.6 % and 7.3 % from run to run.
    return PiperVoice.load(str(default_voice())), SynthesisConfig(noise_scale=0, noise_w_scale=0)


@functools.lru_cache(maxsize=32)
def speech(text: str, lead_ms: int = 300, tail_ms: int = 800) -> bytes:
    """PCM16 16 kHz mono: silence, the spoken text, then enough silence to end the turn."""
    return spoken(text, "piper", lead_ms, tail_ms)


def spoken(text: str, voice_name: str, lead_ms: int, tail_ms: int, steady: bool = False) -> bytes:
    """``text`` spoken by ``voice_name`` ("piper" or "espeak-ng") between two silences;
    ``steady``: piper without its sampling noise, the same audio every time (espeak-ng is)."""
    if steady and voice_name == "piper":
        piper, config = _steady_piper()
        chunks = piper.synthesize(text, syn_config=config)
        pcm, rate = b"".join(c.audio_int16_bytes for c in chunks), piper.config.sample_rate
    else:
        synth = voice(voice_name)
        pcm = synth.synthesize(text)  # espeak-ng learns its rate from its output: read it after
        rate = synth.sample_rate
    return silence(lead_ms) + resample(pcm, rate, 16000) + silence(tail_ms)
