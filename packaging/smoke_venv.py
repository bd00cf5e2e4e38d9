"""Check that a slimmed virtualenv still runs what it was slimmed around: piper speaks a sentence,
Whisper (CTranslate2) hears it back, the local embedder embeds it. An import check alone would
miss a model file or a library that slim_venv.py or strip took away, since those load only here.

Usage: VENV/bin/python packaging/smoke_venv.py      (run by build-deb.sh; exits 1 on a failure)
"""

from __future__ import annotations

import sys

SENTENCE = "Our shop opens at nine in the morning."


def main() -> int:
    from sitespeak.knowledge.embedders import LocalEmbedder
    from sitespeak.voice.audio import resample
    from sitespeak.voice.stt import SAMPLE_RATE, WhisperTranscriber
    from sitespeak.voice.tts import PiperSynthesizer

    voice = PiperSynthesizer()
    speech = resample(voice.synthesize(SENTENCE), voice.sample_rate, SAMPLE_RATE)
    heard = WhisperTranscriber(threads=1).transcribe(speech)
    vectors = LocalEmbedder().embed([SENTENCE, heard])
    similarity = float(vectors[0] @ vectors[1])
    print(f"smoke_venv: heard {heard!r}; embedding similarity {similarity:.2f}")
    # Whisper tiny.en may spell a word differently ("9" for "nine"); the meaning must survive.
    if "shop" not in heard.lower() or similarity < 0.8:
        print("smoke_venv: speech or embedding no longer works in this venv", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
