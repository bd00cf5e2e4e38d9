"""Spoken and text turns against a real web process: grounded answers with citations, answer
audio, timings, honest "not on this site", navigation, barge-in, resume on another replica."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from sitespeak.voice.audio import rms
from sitespeak.voice.timings import Timing
from tests.voice.client import ask_text, open_session, speak, until_done
from tests.voice.speech import speech

pytestmark = pytest.mark.slow
TIMINGS = (
    "eos_to_started_ms",
    "stt_ms",
    "retrieval_ms",
    "answer_ms",
    "tts_first_audio_ms",
    "eos_to_first_audio_ms",
    "total_ms",
    "eos_delay_ms",
)


async def test_a_spoken_question_gets_a_grounded_spoken_answer(voice_web, voice_site):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    assert ready["output_format"]["sample_rate"] == 22050
    sender = asyncio.ensure_future(speak(ws, speech("What time do you open on Sunday?")))
    turn = await until_done(ws)
    await sender
    kinds = [e["type"] for e in turn.events]
    assert (
        kinds.index("speech.started")
        < kinds.index("speech.stopped")
        < kinds.index("response.started")
        < kinds.index("transcript.final")
        < kinds.index("response.done")
    )
    final = turn.of("transcript.final")[0]["text"].lower()
    assert "sunday" in final and "open" in final
    done = turn.done
    assert done["covered"] and "9 am" in done["text"] and "Sunday" in done["text"]
    assert done["citations"][0]["url"] == voice_site.origin + "/hours"
    assert all(done["timings"][name] >= 0 for name in TIMINGS)
    # Every name a turn records is one the admin and the docs know (sitespeak.voice.timings).
    assert set(done["timings"]) <= set(Timing), set(done["timings"]) - set(Timing)
    assert turn.audio_frames > 10 and rms(bytes(turn.audio)) > 300  # real speech, not silence
    assert done["timings"]["eos_to_started_ms"] <= done["timings"]["eos_to_first_audio_ms"]
    await ws.close()


async def test_response_started_goes_out_before_the_transcript_is_ready(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await speak(ws, speech("What is your address?"), realtime=False)
    turn = await until_done(ws)
    started = turn.of("response.started")[0]
    assert started["state"] == "heard_you"
    assert started["_at"] <= turn.of("transcript.final")[0]["_at"]
    assert "Harbour Street" in turn.done["text"], turn.of("transcript.final")
    await ws.close()


async def test_push_to_talk_commit_ends_the_turn_without_waiting_for_silence(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await speak(ws, speech("What is your phone number?", tail_ms=0), realtime=False)
    await ws.send(json.dumps({"type": "input.commit"}))
    turn = await until_done(ws)
    assert "555 0100" in turn.done["text"]
    assert turn.done["timings"]["eos_delay_ms"] == 0
    await ws.close()


async def test_a_text_turn_answers_and_speaks(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    turn = await ask_text(ws, "When do you close on Saturday?")
    assert "4 pm" in turn.done["text"] and turn.audio_frames > 0
    assert turn.of("response.text.delta")[0]["text"] in turn.done["text"]
    await ws.close()


async def test_a_question_the_site_does_not_cover_gets_an_honest_answer(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    turn = await ask_text(ws, "Do you repair bicycles?")
    assert turn.done["covered"] is False and turn.done["citations"] == []
    assert "couldn't find" in turn.done["text"]
    await ws.close()


async def test_take_me_to_the_contact_page_navigates(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    turn = await ask_text(ws, "Take me to the contact page")
    action = turn.of("response.action")[0]["action"]
    assert action["kind"] == "navigate" and action["url"] == voice_site.origin + "/contact"
    await ws.close()


async def test_barge_in_stops_the_answer_and_history_keeps_only_what_was_sent(
    voice_web, voice_site, alice
):
    ws, ready = await open_session(
        voice_web.url,
        voice_site.origin,
        voice_site.key,
        output_format={"sample_rate": 16000, "frame_ms": 20},
    )
    full = await ask_text(ws, "What are your opening hours?")
    await ws.send(json.dumps({"type": "input.text", "text": "What are your opening hours?"}))
    await until_done(ws, stop_after_audio=3)
    await ws.send(json.dumps({"type": "response.cancel"}))
    cut = await until_done(ws)
    assert cut.done["interrupted"] is True and full.done["interrupted"] is False
    # Audio is paced near real time, so most of the answer was never sent.
    assert cut.audio_frames < full.audio_frames / 3
    assert len(cut.done["text"]) < len(full.done["text"])
    await ws.send(json.dumps({"type": "ping"}))
    frame = await asyncio.wait_for(ws.recv(), 30)
    assert isinstance(frame, str) and json.loads(frame)["type"] == "pong"  # no audio after
    await ws.close()
    stored = await _conversation(voice_web, voice_site, alice, ready["session_id"], 2)
    assert [t["interrupted"] for t in stored["turns"]] == [False, True]
    assert stored["turns"][1]["answer"] == cut.done["text"]


async def _conversation(web, site, persona, session_id: str, turns: int) -> dict:
    headers = {"Authorization": f"Bearer {persona.token}"}
    async with httpx.AsyncClient(base_url=web.url, headers=headers) as client:
        for _ in range(600):  # the turn row is written just after response.done (~60 s)
            response = await client.get(f"/api/v1/sites/{site.id}/conversations/{session_id}")
            if response.status_code == 200 and len(response.json()["turns"]) >= turns:
                return response.json()
            await asyncio.sleep(0.1)
    raise AssertionError(f"turns not stored: {response.status_code} {response.text}")


async def test_a_client_resumes_its_conversation_on_another_web_process(
    voice_web, second_web, voice_site
):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ask_text(ws, "Where is the shop?")
    await ws.close()
    again, resumed = await open_session(
        second_web.url, voice_site.origin, voice_site.key, resume_id=ready["resume_id"]
    )
    assert resumed["resumed"] is True and resumed["session_id"] == ready["session_id"]
    assert resumed["turns"] == 1
    turn = await ask_text(again, "What is your phone number?")
    assert turn.done["turn"] == 2
    await again.close()


async def test_speaking_over_the_answer_stops_it_and_starts_a_new_turn(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ws.send(json.dumps({"type": "input.text", "text": "What are your opening hours?"}))
    await until_done(ws, stop_after_audio=2)
    sender = asyncio.ensure_future(speak(ws, speech("What is your phone number?")))
    first = await until_done(ws)
    assert first.done["interrupted"] is True and first.done["turn"] == 1
    second = await until_done(ws)
    await sender
    assert second.events[0]["type"] == "speech.started"  # right after the cut answer's done
    assert second.done["turn"] == 2 and "555 0100" in second.done["text"]
    await ws.close()
