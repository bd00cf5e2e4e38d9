"""A Realtime session end to end: the visitor's audio bridged to the (fake) Realtime API with
server VAD, a search_site call answered from our retrieval, audio and transcript mapped onto
our protocol, and barge-in truncating the model's item to what was heard."""

from __future__ import annotations

import asyncio
import json

import pytest

from sitespeak.voice.audio import rms
from tests.voice.client import next_event, open_session, speak, until_done
from tests.voice.speech import speech

pytestmark = pytest.mark.slow
OUT16K = {"sample_rate": 16000, "frame_ms": 20}


async def test_a_realtime_session_answers_a_spoken_question_from_the_site(
    web_a, realtime_site, fake
):
    fake.transcript = "What time do you open on Sunday?"
    ws, ready = await open_session(
        web_a.url, realtime_site.origin, realtime_site.key, output_format=OUT16K
    )
    sender = asyncio.ensure_future(speak(ws, speech("What time do you open on Sunday?")))
    turn = await until_done(ws)
    await sender
    await ws.close()
    kinds = [e["type"] for e in turn.events]
    assert (
        kinds.index("speech.started")
        < kinds.index("speech.stopped")
        < kinds.index("response.started")
        < kinds.index("transcript.final")
        < kinds.index("response.done")
    )
    assert turn.of("transcript.final")[0]["text"] == fake.transcript
    done = turn.done
    assert "9 am" in done["text"] and done["interrupted"] is False
    assert done["citations"][0]["url"] == realtime_site.origin + "/hours"
    assert turn.audio_frames > 10 and rms(bytes(turn.audio)) > 1000
    for name in (
        "eos_to_started_ms",
        "stt_ms",
        "tool_search_site_ms",
        "eos_to_first_audio_ms",
        "total_ms",
    ):
        assert done["timings"][name] >= 0, name
    rt = fake.realtime
    update = rt.of("session.update")[0]["session"]
    assert update["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert [t["name"] for t in update["tools"]] == ["search_site"]
    outputs = [
        e["item"]
        for e in rt.of("conversation.item.create")
        if e["item"]["type"] == "function_call_output"
    ]
    assert "Sunday" in outputs[0]["output"]  # our retrieval answered the model's tool call
    assert rt.of("input_audio_buffer.append"), "the visitor's audio went to the model"


async def test_speaking_over_a_realtime_answer_cuts_it_to_what_was_heard(
    web_a, realtime_site, fake
):
    fake.transcript = "What are your opening hours?"
    ws, _ = await open_session(
        web_a.url, realtime_site.origin, realtime_site.key, output_format=OUT16K
    )
    await speak(ws, speech("What are your opening hours?"))
    await until_done(ws, stop_after_audio=10)  # 200 ms of the answer has arrived
    await speak(ws, speech("Stop, thanks.", lead_ms=0, tail_ms=0), realtime=True)
    cut = await until_done(ws)
    after = await next_event(ws, 10)
    await ws.close()
    assert cut.done["interrupted"] is True
    assert after["type"] == "speech.started"  # the answer stops first, then we say we hear
    truncate = fake.realtime.of("conversation.item.truncate")
    assert truncate, "the model's item was not truncated"
    heard = truncate[0]["audio_end_ms"]  # (a pause inside "Stop, thanks." may cut again)
    assert 0 < heard < 3000 and heard == pytest.approx(cut.done["timings"]["heard_ms"], abs=1)


async def test_a_realtime_text_turn_streams_the_spoken_answer(web_a, realtime_site, fake):
    ws, _ = await open_session(
        web_a.url, realtime_site.origin, realtime_site.key, output_format=OUT16K
    )
    await ws.send(json.dumps({"type": "input.text", "text": "Where is the shop?"}))
    turn = await until_done(ws)
    await ws.close()
    assert "Harbour Street" in turn.done["text"]
    assert len(turn.of("response.text.delta")) > 3 and turn.audio_frames > 0
