"""The OpenAI key is used (the fake sees it as a Bearer token) yet never appears in anything a
client receives, in the web process's log (at debug level), or in the database."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from sitespeak.db.connection import database
from tests.providers.test_socketio import sio_visitor, start
from tests.voice.client import open_session, speak, until_done
from tests.voice.speech import speech

pytestmark = pytest.mark.slow


async def _frames_of_a_websocket_session(web, site, fake) -> list[str | bytes]:
    frames: list[str | bytes] = []
    ws, ready = await open_session(web.url, site.origin, site.key)
    frames.append(json.dumps(ready))
    for question in ("What time do you open on Sunday?", "Take me to the contact page"):
        await ws.send(json.dumps({"type": "input.text", "text": question}))
        turn = await until_done(ws)
        frames += [json.dumps(e) for e in turn.events] + [bytes(turn.audio)]
    fake.transcript = "Where is your shop?"
    sender = asyncio.ensure_future(speak(ws, speech("Where is your shop?"), realtime=False))
    turn = await until_done(ws)
    await sender
    frames += [json.dumps(e) for e in turn.events] + [bytes(turn.audio)]
    fake.fail = 401  # a provider error must not echo anything secret either
    await ws.send(json.dumps({"type": "input.text", "text": "Where is the shop?"}))
    turn = await until_done(ws)
    frames += [json.dumps(e) for e in turn.events]
    await ws.close()
    return frames


async def test_the_api_key_never_reaches_a_client_a_log_or_the_database(
    web_a, openai_site, realtime_site, fake, api_key, alice
):
    key = api_key[0]
    frames = await _frames_of_a_websocket_session(web_a, openai_site, fake)
    fake.fail = 0
    visitor = await sio_visitor(web_a.url, openai_site.origin)
    frames.append(json.dumps(await start(visitor, openai_site.key, openai_site.origin)))
    await visitor.client.emit("input.text", {"text": "Where is the shop?"})
    await visitor.wait_for("response.done")
    await visitor.client.disconnect()
    frames += [json.dumps(e) for e in visitor.events] + [bytes(visitor.audio)]
    ws, ready = await open_session(web_a.url, realtime_site.origin, realtime_site.key)
    await ws.send(json.dumps({"type": "input.text", "text": "Where is the shop?"}))
    frames += [json.dumps(ready)] + [json.dumps(e) for e in (await until_done(ws)).events]
    await ws.close()

    # The key was really used: every provider request carried it.
    auth = {r["headers"].get("authorization") for r in fake.requests}
    assert auth == {f"Bearer {key}"}
    assert {h.get("authorization") for h in fake.realtime.headers} == {f"Bearer {key}"}
    # ...and it went nowhere else.
    needle = key.encode()
    for frame in frames:
        assert needle not in (frame if isinstance(frame, bytes) else frame.encode())
    assert len(frames) > 20
    headers = {"Authorization": f"Bearer {alice.token}"}
    async with httpx.AsyncClient(base_url=web_a.url, headers=headers) as client:
        for site in (openai_site, realtime_site):
            listing = await client.get(f"/api/v1/sites/{site.id}/conversations")
            assert listing.status_code == 200 and key not in listing.text
            for item in listing.json()["items"]:
                detail = await client.get(f"/api/v1/sites/{site.id}/conversations/{item['id']}")
                assert key not in detail.text
    log = web_a.output()
    assert "DEBUG" in log and "openai" in log  # the log is verbose and mentions the provider
    assert key not in log and key[-12:] not in log
    with database.connection_context():
        for table in ("sites", "voice_sessions", "voice_turns"):
            rows = database.execute_sql(f"SELECT row_to_json(t)::text FROM {table} t").fetchall()
            assert rows and not any(key in row[0] for row in rows), table
