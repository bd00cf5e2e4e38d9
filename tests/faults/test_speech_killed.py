"""The speech process killed with SIGKILL in the middle of a spoken turn while two other visitors
take typed turns with spoken answers and the API is in use: the speaking visitor is told with a
non-fatal error event and the turn still ends, typed questions keep getting text answers, no
session is closed, and voice works again once a new speech process is up, without restarting
the web process. It uses a speech process and web process of its own (never the run's)."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from tests.faults.conftest import Stack
from tests.support.load import Load
from tests.support.processes import start_speech, start_web, wait_for
from tests.voice.client import open_session, speak, until_response_done
from tests.voice.speech import speech
from tests.voice.test_speech_process import until_response_done_after

pytestmark = pytest.mark.slow
SAMPLE_RATE = 16000  # what speech() makes: 16-bit mono


def _answered_since(load: Load, since: float) -> bool:
    return all(any(at > since for at in v.turns) for v in load.seen.visitors)


async def test_the_speech_process_killed_mid_turn_is_told_and_voice_returns_without_a_web_restart(
    stack: Stack, tmp_path
):
    env = {**stack.env, "SITESPEAK_SPEECH_SOCKET": str(tmp_path / "speech.sock")}
    speech_proc = start_speech(env, tmp_path)
    web = start_web(env, stack.logs, 90)
    try:
        with Load(web.url, stack.pg.token, stack.origin, stack.site_key) as load:
            wait_for(lambda: _answered_since(load, 0), 90, 0.2, "typed turns before the kill")
            ws, _ = await open_session(web.url, stack.origin, stack.site_key)
            question = speech("What is your phone number?")
            sender = asyncio.ensure_future(speak(ws, question))
            await asyncio.sleep(0.6 * len(question) / (2 * SAMPLE_RATE))  # mid-question
            speech_proc.stop(signal.SIGKILL)  # a crash: no goodbye on the socket
            killed = time.monotonic()
            unheard = await until_response_done(ws, 60)
            await sender
            errors = unheard.of("error")
            assert errors and {e["code"] for e in errors} == {"speech_unavailable"}, errors
            assert not any(e["fatal"] for e in errors), errors

            typed = await until_response_done_after(ws, "What is your phone number?")
            assert "555 0100" in typed.done["text"], typed.events
            assert "speech_unavailable" in {e["code"] for e in typed.of("error")}
            wait_for(lambda: _answered_since(load, killed), 60, 0.2, "typed answers, no speech")

            speech_proc = start_speech(env, tmp_path)  # the same socket, a new process
            back = time.monotonic()
            sender = asyncio.ensure_future(speak(ws, speech("Who founded the bakery?")))
            heard = await until_response_done(ws, 120)
            await sender
            assert not heard.of("error") and heard.of("transcript.final"), heard.events
            assert heard.done["text"] and heard.audio_frames > 0
            await ws.close()
            wait_for(lambda: _answered_since(load, back), 60, 0.2, "turns after the restart")
        seen = load.seen
        assert web.popen.poll() is None  # the same web process throughout: never restarted
    finally:
        web.stop()
        speech_proc.stop()
    print(f"speech SIGKILL mid-turn: {seen.summary()}")
    assert 500 not in seen.api and set(seen.api) <= {200, 201}, seen.api
    for visitor in seen.visitors:
        assert not visitor.closes and visitor.sessions == 1, visitor  # nobody was dropped
        assert set(visitor.errors) <= {"speech_unavailable", "speech_busy"}, visitor
