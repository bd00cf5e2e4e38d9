"""Running it: turn timings on /metrics, stored conversations scoped to their tenant, and open
sessions told to go when the web process drains."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.processes import start_web
from tests.voice.client import ask_text, next_event, open_session
from tests.voice.conftest import VOICE_ENV

pytestmark = pytest.mark.slow


async def test_turn_timings_are_exported_as_histograms(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await ask_text(ws, "Where is the shop?")
    await ws.close()
    text = httpx.get(voice_web.url + "/metrics").text
    for stage in ("eos_to_started", "retrieval", "tts_first_audio", "eos_to_first_audio"):
        line = f'sitespeak_voice_turn_stage_seconds_count{{stage="{stage}"}}'
        assert line in text
        assert float(text.split(line)[1].split()[0]) >= 1


async def test_conversations_are_listed_for_their_tenant_only(
    voice_web, voice_site, alice, charlie
):
    ws, ready = await open_session(
        voice_web.url, voice_site.origin, voice_site.key, page_url=voice_site.origin + "/hours"
    )
    await ask_text(ws, "Who founded the bakery?")
    await ws.close()
    base = f"{voice_web.url}/api/v1/sites/{voice_site.id}/conversations"
    mine = {"Authorization": f"Bearer {alice.token}"}
    for _ in range(600):  # ~60 s: the turn row is written just after response.done
        detail = httpx.get(f"{base}/{ready['session_id']}", headers=mine)
        if detail.status_code == 200 and detail.json()["turns"]:
            break
        await asyncio.sleep(0.1)
    turn = detail.json()["turns"][0]
    assert turn["transcript"] == "Who founded the bakery?" and "Maria" in turn["answer"]
    assert turn["citations"][0]["url"].endswith("/about") and "retrieval_ms" in turn["timings"]
    assert detail.json()["page_url"].endswith("/hours")
    listing = httpx.get(base, headers=mine).json()
    assert ready["session_id"] in [s["id"] for s in listing["items"]]
    theirs = {"Authorization": f"Bearer {charlie.token}"}
    assert httpx.get(base, headers=theirs).status_code == 404
    assert httpx.get(f"{base}/{ready['session_id']}", headers=theirs).status_code == 404
    assert httpx.get(base).status_code == 401


async def test_a_draining_server_tells_open_sessions_and_refuses_new_ones(
    base_env, voice_site, tmp_path
):
    web = start_web({**base_env, **VOICE_ENV, "SITESPEAK_VOICE_PRELOAD": "false"}, tmp_path)
    try:
        ws, ready = await open_session(web.url, voice_site.origin, voice_site.key)
        assert ready["type"] == "session.ready"
        web.popen.send_signal(signal.SIGTERM)
        closing = await next_event(ws, 10)
        assert closing["type"] == "session.closing" and "resume" in closing["reason"]
        with pytest.raises(ConnectionClosed) as caught:
            await next_event(ws, 10)
        assert caught.value.rcvd is None or caught.value.rcvd.code == 1012
    finally:
        web.stop()
    assert "Traceback" not in web.output()
