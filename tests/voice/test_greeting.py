"""The site's greeting, spoken: what a visitor hears first when they turn the microphone on."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from sitespeak.voice.audio import rms
from tests.voice.client import ask_text, open_session, until_done

pytestmark = pytest.mark.slow
GREETING = {"type": "greeting.request"}


async def _heard(
    ws, quiet: float = 2.0, timeout: float = 60, first: float | None = None
) -> tuple[bytes, list[dict]]:
    """Audio and events until nothing has arrived for ``quiet`` seconds (``first`` for the
    first frame: a greeting expected is synthesized first, which a loaded box makes slow)."""
    audio, events = bytearray(), []
    deadline = time.monotonic() + timeout
    wait = quiet if first is None else first
    while time.monotonic() < deadline:
        try:
            frame = await asyncio.wait_for(ws.recv(), wait)
        except TimeoutError:
            break
        wait = quiet
        if isinstance(frame, bytes):
            audio += frame
        else:
            events.append(json.loads(frame))
    return bytes(audio), events


async def _greeting(ws) -> tuple[bytes, list[dict]]:
    """The greeting heard whole: its first phrase may take a while, and each further phrase
    is synthesized after the one before was sent (4 s of quiet is its end, not 2)."""
    return await _heard(ws, quiet=4.0, first=60)


def _seconds(pcm: bytes, ready: dict) -> float:
    return len(pcm) / 2 / ready["output_format"]["sample_rate"]


async def test_the_first_microphone_start_hears_the_sites_greeting(voice_web, voice_site):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    assert "Bakery" in ready["greeting"]
    await ws.send(json.dumps(GREETING))
    audio, events = await _greeting(ws)
    # "Hi! Ask me anything about …": real speech, over a second of it, and no turn around it.
    assert _seconds(audio, ready) > 1.0 and rms(audio) > 300, (len(audio), events)
    assert not [e for e in events if e["type"].startswith("response.")], events
    await ws.close()


async def test_the_greeting_is_said_once_and_never_after_a_question(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ws.send(json.dumps(GREETING))
    first, _ = await _greeting(ws)
    await ws.send(json.dumps(GREETING))
    again, _ = await _heard(ws)
    assert first and not again
    await ws.close()

    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    turn = await ask_text(ws, "When do you open on Sunday?")
    assert turn.done["covered"]
    await ws.send(json.dumps(GREETING))
    after, events = await _heard(ws)
    assert not after and not events
    await ws.close()


async def test_a_question_asked_over_the_greeting_stops_it(voice_web, voice_site):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ws.send(json.dumps(GREETING))
    whole, _ = await _greeting(ws)  # said once per session: the next session is a new visitor
    await ws.close()

    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ws.send(json.dumps(GREETING))
    greeting = bytearray(await ws.recv())
    await ws.send(json.dumps({"type": "input.text", "text": "When do you open on Sunday?"}))
    while isinstance(frame := await asyncio.wait_for(ws.recv(), 30), bytes):
        greeting += frame  # sent before the question was taken: at most the audio lead
    assert json.loads(frame)["type"] == "response.started"
    turn = await until_done(ws)
    assert turn.done["covered"] and "9 am" in turn.done["text"]
    assert _seconds(bytes(greeting), ready) < _seconds(whole, ready) - 0.3
    await ws.close()
