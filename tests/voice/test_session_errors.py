"""Bad keys, wrong origins and bad frames get clear errors; nothing crashes, and another
session on the same server is unaffected."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.voice.client import ask_text, next_event, open_session, ws_url

pytestmark = pytest.mark.slow


async def _closed_with(ws) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as caught:
        for _ in range(5):
            await next_event(ws, 10)
    return caught.value.rcvd.code, caught.value.rcvd.reason


async def test_an_unknown_site_key_is_refused_with_a_clear_close_code(voice_web, voice_site):
    from websockets.asyncio.client import connect

    ws = await connect(ws_url(voice_web.url), origin=voice_site.origin)
    await ws.send(json.dumps({"type": "session.start", "site_key": "pk_no-such-site"}))
    assert await _closed_with(ws) == (4001, "unknown site key")


async def test_a_foreign_origin_is_refused(voice_web, voice_site):
    from websockets.asyncio.client import connect

    ws = await connect(ws_url(voice_web.url), origin="https://evil.example")
    await ws.send(json.dumps({"type": "session.start", "site_key": voice_site.key}))
    code, reason = await _closed_with(ws)
    assert code == 4003 and "https://evil.example" in reason


async def test_the_first_message_must_be_session_start(voice_web, voice_site):
    from websockets.asyncio.client import connect

    ws = await connect(ws_url(voice_web.url), origin=voice_site.origin)
    await ws.send(json.dumps({"type": "input.text", "text": "hi"}))
    code, reason = await _closed_with(ws)
    assert code == 4400 and "session.start" in reason


async def test_an_unsupported_audio_format_is_a_fatal_error(voice_web, voice_site):
    ws, event = await open_session(
        voice_web.url,
        voice_site.origin,
        voice_site.key,
        input_format={"encoding": "opus", "sample_rate": 48000},
    )
    assert event["type"] == "error" and event["fatal"] is True
    assert event["code"] == "unsupported_audio_format" and "pcm16" in event["message"]
    code, _ = await _closed_with(ws)
    assert code == 4415


async def test_bad_frames_get_errors_and_the_session_goes_on(voice_web, voice_site):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    assert ready["type"] == "session.ready"
    other, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)

    await ws.send("{not json")
    assert (await next_event(ws))["code"] == "malformed_json"
    await ws.send(json.dumps({"type": "input.text"}))
    bad = await next_event(ws)
    assert bad["code"] == "invalid_message" and "text" in bad["message"]
    await ws.send(json.dumps({"type": "launch.rockets"}))
    assert (await next_event(ws))["code"] == "invalid_message"
    await ws.send(b"\x00" * 16001)
    big = await next_event(ws)
    assert big["code"] == "frame_too_large" and big["fatal"] is False
    await ws.send(b"\x00" * 641)
    assert (await next_event(ws))["code"] == "bad_audio"
    await ws.send(json.dumps({"type": "input.commit"}))
    assert (await next_event(ws))["code"] == "nothing_to_commit"

    await ws.send(json.dumps({"type": "ping", "id": 7}))
    assert await next_event(ws) == {"type": "pong", "id": 7}
    turn = await ask_text(other, "when do you open on sunday")
    assert turn.done["covered"] is True
    await ws.close()
    await other.close()


async def test_too_many_turns_in_a_minute_are_refused_without_ending_the_session(
    voice_web, voice_site
):
    ws, ready = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    allowed = ready["limits"]["turns_per_minute"]
    for _ in range(allowed + 2):  # each new question barges in on the last one
        await ws.send(json.dumps({"type": "input.text", "text": "where is the shop"}))
    done, refused = 0, []
    while done < allowed or len(refused) < 2:
        event = await next_event(ws)
        done += event["type"] == "response.done"
        refused += [event] if event["type"] == "error" else []
    assert done == allowed
    assert len(refused) == 2 and all(e["code"] == "rate_limited" for e in refused)
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_event(ws))["type"] == "pong"
    await ws.close()
