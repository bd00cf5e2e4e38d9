"""The Whisper model the .deb ships, stored as int8 by packaging/quantize_whisper.py at build time:
smaller, and it hears the visitor questions exactly as the package's float16 model does (the
speech process computes in int8 either way)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sitespeak.voice.stt import WhisperTranscriber, default_model_dir
from tests.support.processes import ROOT
from tests.voice.test_stt import (  # noqa: F401 - fixtures: the float16 model's transcripts
    VOICES,
    questions_spoken,
    single_transcripts,
    transcriber,
)

SCRIPT = ROOT / "packaging" / "quantize_whisper.py"


def quantize(*dirs: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, dirs)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def int8_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("whisper-int8")
    quantize(default_model_dir(), target)
    return target


def test_the_int8_model_is_at_least_30_mb_smaller_and_is_not_quantised_twice(int8_dir):
    before = (default_model_dir() / "model.bin").stat().st_size
    after = (int8_dir / "model.bin").stat().st_size
    assert before - after > 30e6, (before, after)
    assert "int8 already" in quantize(int8_dir)
    assert (int8_dir / "model.bin").stat().st_size == after
    assert (int8_dir / "tokenizer.json").read_bytes() == (
        default_model_dir() / "tokenizer.json"
    ).read_bytes()


@pytest.mark.parametrize("voice", VOICES)
def test_the_int8_model_hears_every_visitor_question_as_the_float16_one(
    voice,
    int8_dir,
    questions_spoken,  # noqa: F811 - the fixture imported above
    single_transcripts,  # noqa: F811
):
    int8 = WhisperTranscriber(str(int8_dir))
    heard = [int8.transcribe(clip) for clip in questions_spoken[voice]]
    assert heard == single_transcripts[voice]
