"""`python -m sitespeak ask SITE "question" --json` runs one turn through the voice pipeline."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from sitespeak.voice.audio import wav_bytes
from tests.support.processes import run_command
from tests.voice.speech import speech

pytestmark = pytest.mark.slow


def _ask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_command({**os.environ, **env}, "ask", *args, timeout=180)


def test_ask_prints_a_grounded_answer_with_citations_and_timings(base_env, voice_site):
    done = _ask(base_env, voice_site.key, "What is your email address?", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert "hello@sunrise.test" in data["answer"]
    assert data["citations"][0]["url"] == voice_site.origin + "/contact"
    assert {"retrieval_ms", "answer_ms", "total_ms"} <= set(data["timings"])
    # A typed question with no --out wants the text: no speech model is loaded for it.
    assert "tts_first_audio_ms" not in data["timings"]
    assert "voice models ready" not in done.stderr


def test_ask_speaks_a_typed_question_when_out_is_given(base_env, voice_site, tmp_path):
    answer = tmp_path / "a.wav"
    done = _ask(base_env, voice_site.key, "What is your email address?", "--out", str(answer))
    assert done.returncode == 0, done.stderr
    assert "hello@sunrise.test" in done.stdout and "voice models ready" in done.stderr
    assert answer.stat().st_size > 10_000


def test_ask_with_a_wav_file_runs_a_spoken_turn(base_env, voice_site, tmp_path):
    question = tmp_path / "q.wav"
    question.write_bytes(wav_bytes(speech("Who founded the bakery?"), 16000))
    answer = tmp_path / "a.wav"
    done = _ask(
        base_env,
        voice_site.name,
        "--tenant",
        "Tenant A",
        "--wav",
        str(question),
        "--out",
        str(answer),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert "founded" in data["transcript"].lower()
    assert "Maria and Tom" in data["answer"] and data["timings"]["stt_ms"] > 0
    assert answer.stat().st_size > 10_000


def test_ask_with_a_wav_file_prints_what_it_heard(base_env, voice_site, tmp_path):
    question = tmp_path / "q.wav"
    question.write_bytes(wav_bytes(speech("Who founded the bakery?"), 16000))
    done = _ask(base_env, voice_site.key, "--wav", str(question))
    assert done.returncode == 0, done.stderr
    heard, answer = done.stdout.split("\n", 1)
    assert heard.startswith("Heard: ") and "founded" in heard.lower()
    assert "Maria and Tom" in answer


def test_ask_refuses_an_unknown_site_clearly(base_env):
    done = _ask(base_env, "pk_nope", "hello")
    assert done.returncode == 1 and "no site 'pk_nope'" in done.stderr
