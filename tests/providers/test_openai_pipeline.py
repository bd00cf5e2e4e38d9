"""The OpenAI answerer, STT and TTS through the real `openai` package against the fake server:
grounded answers streamed after a search_site call, citations kept, catalog-only navigation,
and a slow or failing provider degrading to the local answerer within the budget."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from sitespeak.voice.audio import rms
from tests.voice.client import ask_text, open_session, speak, until_done
from tests.voice.speech import speech

pytestmark = pytest.mark.slow


async def stored_turns(web, site, persona, session_id: str, count: int) -> list[dict]:
    headers = {"Authorization": f"Bearer {persona.token}"}
    async with httpx.AsyncClient(base_url=web.url, headers=headers) as client:
        for _ in range(600):  # ~60 s: the row is written after the turn, on a busy box too
            response = await client.get(f"/api/v1/sites/{site.id}/conversations/{session_id}")
            if response.status_code == 200 and len(response.json()["turns"]) >= count:
                return response.json()["turns"]
            await asyncio.sleep(0.1)
    raise AssertionError(f"turns not stored: {response.status_code} {response.text}")


async def test_a_text_question_is_answered_from_a_search_site_call_and_streamed(
    web_a, openai_site, fake, alice
):
    fake.word_delay = 0.02
    ws, ready = await open_session(web_a.url, openai_site.origin, openai_site.key)
    turn = await ask_text(ws, "What time do you open on Sunday?")
    await ws.close()
    done = turn.done
    assert "9 am" in done["text"] and done["covered"] is True
    assert [c["url"] for c in done["citations"]] == [openai_site.origin + "/hours"]
    assert "[" not in done["text"]  # citation markers become citations, never speech
    deltas = turn.of("response.text.delta")
    assert len(deltas) >= 5, "text should stream word by word, not arrive whole"
    assert turn.audio_frames > 0 and rms(bytes(turn.audio)) > 300
    chats = fake.of("/chat/completions")
    assert len(chats) == 2 and chats[0]["body"]["stream"] is True
    assert {t["function"]["name"] for t in chats[0]["body"]["tools"]} == {
        "search_site",
        "navigate",
        "scroll_to",
    }
    tool_reply = [m for m in chats[1]["body"]["messages"] if m["role"] == "tool"][0]
    assert "Sunday" in tool_reply["content"]  # our retrieval ran for the model's query
    assert fake.of("/audio/speech"), "answer audio comes from the OpenAI TTS"
    assert "tool_search_site_at_ms" in done["timings"]
    assert done["timings"]["eos_to_first_audio_ms"] <= done["timings"]["total_ms"]
    rows = await stored_turns(web_a, openai_site, alice, ready["session_id"], 1)
    assert rows[0]["provider"]["answer"].startswith("openai:")
    assert "fallback" not in rows[0]["provider"]


async def test_history_goes_to_the_model_on_the_next_turn(web_a, openai_site, fake):
    ws, _ = await open_session(web_a.url, openai_site.origin, openai_site.key)
    await ask_text(ws, "Where is the shop?")
    await ask_text(ws, "What is your phone number?")
    await ws.close()
    last = fake.of("/chat/completions")[-1]["body"]["messages"]
    assert any(m["role"] == "assistant" and "Harbour Street" in (m["content"] or "") for m in last)


async def test_navigation_goes_only_to_pages_in_the_catalog(web_a, openai_site, fake):
    ws, _ = await open_session(web_a.url, openai_site.origin, openai_site.key)
    turn = await ask_text(ws, "Take me to the contact page")
    await ws.close()
    action = turn.of("response.action")[0]["action"]
    assert action["kind"] == "navigate" and action["url"] == openai_site.origin + "/contact"


async def test_a_slow_provider_falls_back_to_the_local_answer_within_the_budget(
    web_a, openai_site, fake, alice
):
    ws, ready = await open_session(web_a.url, openai_site.origin, openai_site.key)
    # Every call from here on is held (until the test's end): the provider never answers, so
    # the answer the visitor gets can only be the fallback's, sent within the budget.
    fake.hold_after = len(fake.requests)
    await ws.send(json.dumps({"type": "input.text", "text": "When do you close on Saturday?"}))
    turn = await until_done(ws, 120)
    await ws.close()
    assert fake.of("/chat/completions"), "the provider was asked first"
    assert not fake.released.is_set()  # and has still not answered
    assert "4 pm" in turn.done["text"] and turn.done["citations"]
    rows = await stored_turns(web_a, openai_site, alice, ready["session_id"], 1)
    assert "answerer" in rows[0]["provider"]["fallback"]


async def test_a_failing_provider_falls_back_and_says_so_in_the_turn_record(
    web_a, openai_site, fake, alice
):
    fake.fail = 500
    ws, ready = await open_session(web_a.url, openai_site.origin, openai_site.key)
    turn = await ask_text(ws, "What is your phone number?")
    await ws.close()
    assert "555 0100" in turn.done["text"]
    rows = await stored_turns(web_a, openai_site, alice, ready["session_id"], 1)
    assert "local" in rows[0]["provider"]["fallback"]


async def test_a_spoken_turn_uses_openai_transcription_and_speech(web_a, openai_site, fake):
    fake.transcript = "Where is your shop?"
    ws, _ = await open_session(
        web_a.url,
        openai_site.origin,
        openai_site.key,
        output_format={"sample_rate": 16000, "frame_ms": 20},
    )
    sender = asyncio.ensure_future(speak(ws, speech("Where is your shop?")))
    turn = await until_done(ws)
    await sender
    await ws.close()
    assert turn.of("transcript.final")[0]["text"] == fake.transcript
    assert "Harbour Street" in turn.done["text"]
    upload = fake.of("/audio/transcriptions")[0]
    assert b"RIFF" in upload["raw"] and b"WAVE" in upload["raw"]
    # The fake speaks 60 ms of 24 kHz tone per character; we resampled it to 16 kHz.
    assert turn.audio_frames > 10 and rms(bytes(turn.audio)) > 1000
