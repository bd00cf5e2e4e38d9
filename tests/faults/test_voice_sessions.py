"""Voice sessions while Redis fails: a session in the middle of a conversation keeps answering
(the turn limiter fails open; a turn that cannot be saved for resuming says so without ending
the session), a session that cannot start is told why and closed with 1013, and after Redis
returns the next turn works on the first try (no stale pooled connection drops it)."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.faults.conftest import Stack, recovered
from tests.voice.client import ask_text, next_event, open_session

pytestmark = pytest.mark.slow


async def _pong(ws, ping_id: int = 7) -> dict:
    await ws.send(json.dumps({"type": "ping", "id": ping_id}))
    return await next_event(ws, 20)


async def test_a_voice_session_outlives_a_redis_outage_and_new_ones_are_told_why(
    stack: Stack,
):
    ws, ready = await open_session(stack.web.url, stack.origin, stack.site_key)
    assert ready["type"] == "session.ready"
    try:
        first = await ask_text(ws, "When are you open on Sunday?")
        assert first.done["type"] == "response.done"

        stack.redis.stop()
        during = await ask_text(ws, "Do you have rye bread?")
        assert during.done["type"] == "response.done", during.events
        told = await next_event(ws, 20)
        assert told["type"] == "error" and told["code"] == "resume_unavailable"
        assert told["fatal"] is False
        assert (await _pong(ws))["type"] == "pong"

        refused, event = await open_session(stack.web.url, stack.origin, stack.site_key)
        assert event["type"] == "error" and event["code"] == "unavailable" and event["fatal"]
        with pytest.raises(ConnectionClosed) as caught:
            await next_event(refused, 20)
        assert caught.value.rcvd.code == 1013 and caught.value.rcvd.reason

        stack.redis.start()
        after = await ask_text(ws, "Where is the bakery?")
        assert after.done["type"] == "response.done", after.events
        assert (await _pong(ws, 8)) == {"type": "pong", "id": 8}  # saved: no error came first
    finally:
        stack.redis.start()
        recovered(stack)
        await ws.close()
