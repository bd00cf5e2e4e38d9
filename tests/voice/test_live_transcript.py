"""The live transcript while the visitor speaks (issue 16, item 16): what was heard up to a
pause goes out as ``transcript.partial`` before the turn ends, from the decode the speculative
run makes at that pause, even when speech resumes and the run itself is thrown away."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.processes import start_web
from tests.voice.client import open_session, speak, until_done
from tests.voice.conftest import VOICE_ENV
from tests.voice.speech import speech

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pause_only_web(base_env, voice_site, tmp_path_factory):
    """Periodic partials off: any partial this web process sends came from a pause's decode."""
    env = {**base_env, **VOICE_ENV, "SITESPEAK_VOICE_PARTIAL_INTERVAL_MS": "0"}
    proc = start_web(env, tmp_path_factory.mktemp("live-transcript"), 60)
    yield proc
    proc.stop()


async def test_what_was_heard_before_a_pause_shows_while_the_visitor_goes_on(
    pause_only_web, voice_site
):
    # A short pause mid-sentence (piper's own trailing silence plus 60 ms): long enough for a
    # speculative decode to start, too short to end the turn (and what precedes it is no whole
    # question, which could end it early). The second half is long, so the decode is done
    # before the turn ends.
    first = speech("So I was wondering", tail_ms=60)
    rest = speech("what time you open on Sunday morning, and if you bake bread daily?", lead_ms=0)
    ws, _ = await open_session(pause_only_web.url, voice_site.origin, voice_site.key)
    sender = asyncio.ensure_future(speak(ws, first + rest))
    turn = await until_done(ws)
    await sender
    kinds = [e["type"] for e in turn.events]
    partials = turn.of("transcript.partial")
    assert partials, kinds
    # Words from the start (which pause gave them depends on the voice's own gaps).
    assert partials[0]["text"].lower().startswith("so"), partials
    assert kinds.index("transcript.partial") < kinds.index("speech.stopped")
    final = turn.of("transcript.final")[0]["text"].lower()
    assert "sunday" in final and "bread" in final  # one turn: the pause did not end it
    await ws.close()
