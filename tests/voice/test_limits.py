"""Limits on a web process configured tightly: idle timeout, turns per IP across sessions,
and seconds of speech per turn."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import own_queues
from tests.support.processes import start_web
from tests.voice.client import next_event, open_session, speak, until_done
from tests.voice.conftest import VOICE_ENV
from tests.voice.speech import speech

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def strict_web(base_env, voice_site, tmp_path_factory):
    # A Redis namespace of its own: the per-address turn count is kept per wall-clock minute,
    # and other modules' turns from 127.0.0.1 in the same minute would count against it.
    proc = start_web(
        {
            **own_queues(base_env),
            **VOICE_ENV,
            "SITESPEAK_VOICE_IDLE_TIMEOUT": "2",
            "SITESPEAK_VOICE_IP_TURNS_PER_MINUTE": "3",
            "SITESPEAK_VOICE_MAX_TURN_SECONDS": "0.8",
        },
        tmp_path_factory.mktemp("strict-web"),
        60,
    )
    yield proc
    proc.stop()


async def test_an_idle_session_is_closed_with_a_reason(strict_web, voice_site):
    ws, ready = await open_session(strict_web.url, voice_site.origin, voice_site.key)
    assert ready["limits"]["idle_timeout_seconds"] == 2
    with pytest.raises(ConnectionClosed) as caught:
        await next_event(ws, 10)
    assert caught.value.rcvd.code == 4408 and "idle" in caught.value.rcvd.reason


async def test_a_long_utterance_is_cut_at_the_turn_limit(strict_web, voice_site):
    pcm = speech(
        "What time do you open on Sunday and on Saturday and on every other day of the week?"
    )  # made before connecting: the idle limit is 2 s here
    ws, _ = await open_session(strict_web.url, voice_site.origin, voice_site.key)
    sender = asyncio.ensure_future(speak(ws, pcm))
    turn = await until_done(ws)
    await sender
    assert turn.of("speech.stopped") and turn.done["turn"] == 1
    assert "every other day" not in turn.of("transcript.final")[0]["text"]
    await ws.close()


async def test_turns_per_minute_count_every_session_of_one_address(strict_web, voice_site):
    refusals = []
    for _ in range(3):  # 3 sessions x 2 turns: over the address's 3 a minute, never a session's 5
        ws, _ = await open_session(strict_web.url, voice_site.origin, voice_site.key)
        for _ in range(2):
            await ws.send(json.dumps({"type": "input.text", "text": "Where is the shop?"}))
            turn = await until_done(ws)
            refusals += [e["message"] for e in turn.of("error")]
        await ws.close()
    assert refusals and all("from this address" in m for m in refusals)


@pytest.fixture(scope="module")
def patient_web(base_env, voice_site, tmp_path_factory):
    """The idle limit of strict_web (2 s), no tight turn limits: its answers outlast the limit."""
    proc = start_web(
        {**own_queues(base_env), **VOICE_ENV, "SITESPEAK_VOICE_IDLE_TIMEOUT": "2"},
        tmp_path_factory.mktemp("patient-web"),
        60,
    )
    yield proc
    proc.stop()


async def test_a_visitor_listening_to_an_answer_longer_than_the_idle_limit_is_not_idle(
    patient_web, voice_site
):
    ws, ready = await open_session(patient_web.url, voice_site.origin, voice_site.key)
    rate = ready["output_format"]["sample_rate"]
    await ws.send(json.dumps({"type": "input.text", "text": "What are your opening hours?"}))
    turn = await until_done(ws)  # nothing sent meanwhile: the visitor only listens
    assert turn.done["interrupted"] is False
    # Paced in real time (a lead of a few hundred ms): sending it took longer than the limit.
    assert len(turn.audio) / (2 * rate) > 3
    with pytest.raises(ConnectionClosed) as caught:  # once the answer is over, idle it is
        await next_event(ws, 30)
    assert caught.value.rcvd.code == 4408
