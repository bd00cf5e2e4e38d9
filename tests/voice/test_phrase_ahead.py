"""The answer's first phrase synthesized from a partial transcript while the visitor speaks
(sitespeak.voice.ahead), against a real web process and a speech process of its own: played
when the whole question's answer begins with it, never when it begins otherwise."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from sitespeak.speech import protocol as wire
from sitespeak.voice.audio import silence
from tests.support.processes import speech_address, speech_health, start_speech, start_web
from tests.voice.client import Turn, open_session, speak, until_done
from tests.voice.conftest import VOICE_ENV
from tests.voice.speech import speech

pytestmark = pytest.mark.slow
OUT_16K = {"sample_rate": 16000, "frame_ms": 20}
# Partial transcripts this far apart: the tests send the question faster than real time, so
# the only partial is the one they ask for by waiting this long before the next frame.
PARTIAL_INTERVAL_MS = 500


@pytest.fixture(scope="module")
def ahead_web(base_env, voice_site, tmp_path_factory):
    """A web process and a speech process of its own: its phrase cache's counters move only
    with these tests' turns."""
    tmp = tmp_path_factory.mktemp("phrase-ahead")
    env = {
        **base_env,
        **VOICE_ENV,
        "SITESPEAK_STATE_DIR": str(tmp),  # no prepared audio restored from other tests
        "SITESPEAK_SPEECH_SOCKET": str(tmp / "speech.sock"),
        "SITESPEAK_VOICE_TURNS_PER_MINUTE": "100",
        "SITESPEAK_VOICE_PARTIAL_INTERVAL_MS": str(PARTIAL_INTERVAL_MS),
    }
    speech_proc = start_speech(env, tmp)
    web = start_web(env, tmp, 60)
    yield web, speech_address(env)
    web.stop()
    speech_proc.stop()


def sounding(pcm: bytes) -> bytes:
    """``pcm`` from 20 ms before its first sound to 20 ms after its last (piper pads a clip
    with silence of its own, which would count as a pause)."""
    samples = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    loud = np.flatnonzero(samples > 300)
    return pcm[max(int(loud[0]) * 2 - 640, 0) : int(loud[-1]) * 2 + 640]


async def phrases_made(path: Path, more_than: int) -> dict:
    """The phrase cache's counters once it holds more than ``more_than`` phrases (a synthesis
    finished); 60 s is only a hang guard."""
    deadline = time.monotonic() + 60
    while True:
        cache = speech_health(path)["phrase_cache"]
        if cache["entries"] > more_than or time.monotonic() > deadline:
            return cache
        await asyncio.sleep(0.05)


async def heard_so_far(ws, path: Path, pcm: bytes) -> tuple[Turn, asyncio.Task, dict]:
    """Say ``pcm`` (no pause in it), then make the server take one partial transcript of it:
    past the partial interval, the next frame (20 ms of quiet, no pause yet) asks for one.
    Returns the turn being read and the phrase cache once a synthesis has followed."""
    before = speech_health(path)["phrase_cache"]["entries"]
    turn = Turn()
    reading = asyncio.ensure_future(until_done(ws, 90, turn=turn))
    await speak(ws, silence(300) + pcm, realtime=False)
    await asyncio.sleep(PARTIAL_INTERVAL_MS / 1000 + 0.1)  # the server's interval, not a guess
    await ws.send(silence(20))
    cache = await phrases_made(path, before)
    assert cache["entries"] > before, "no first phrase was synthesized from the partial"
    return turn, reading, cache


async def transcribed(path: Path, pcm16k: bytes) -> str:
    """What the speech process hears in ``pcm16k``."""
    reader, writer = await asyncio.open_unix_connection(str(path), limit=2**22)
    try:
        writer.write(wire.encode({"id": 1, "op": "transcribe"}, pcm16k))
        await writer.drain()
        header, _ = await asyncio.wait_for(wire.read_frame(reader), 60)
        return str(header["text"]).lower()
    finally:
        writer.close()


async def test_a_first_phrase_made_from_a_partial_transcript_plays_when_the_answer_begins_so(
    ahead_web, voice_site
):
    web, path = ahead_web
    ws, _ = await open_session(web.url, voice_site.origin, voice_site.key, output_format=OUT_16K)
    turn, reading, cache = await heard_so_far(
        ws, path, sounding(speech("What is your phone number?", 0, 0))
    )
    await speak(ws, silence(800))  # the pause: the speculative run, then the end of the turn
    await reading
    timings = turn.done["timings"]
    assert "555 0100" in turn.done["text"], turn.done
    assert timings.get("first_phrase_ahead") == 1.0, timings
    # The first phrase was not asked for again: it would have been a phrase-cache hit.
    assert speech_health(path)["phrase_cache"]["hits"] == cache["hits"], timings
    await ws.close()


async def test_a_first_phrase_from_a_partial_whose_answer_differs_is_never_played(
    ahead_web, voice_site
):
    web, path = ahead_web
    ws, _ = await open_session(web.url, voice_site.origin, voice_site.key, output_format=OUT_16K)
    # "Are you open" is answered with the weekday hours; the whole question with Sunday's.
    turn, reading, _ = await heard_so_far(ws, path, sounding(speech("Are you open", 0, 0)))
    await speak(ws, sounding(speech("on Sunday?", 0, 0)), realtime=False)
    await speak(ws, silence(800))
    await reading
    timings = turn.done["timings"]
    assert "Sunday" in turn.done["text"], turn.done
    assert timings.get("first_phrase_ahead") == 0.0, timings  # made, and not used
    first = bytes(turn.audio[: int(timings["first_phrase_audio_ms"] * 32)])
    heard = await transcribed(path, first)
    assert "sunday" in heard, heard  # the whole question's answer from its first word
    await ws.close()
