"""A web process told to stop (SIGTERM) with 50 open voice sessions, 10 of them in the middle
of a turn: readiness says 503 while it keeps serving, every turn in flight is answered to its
end, every session is told to resume elsewhere (session.closing, close 1012 with the hint) and
does resume, with its resume id, on the other web process; the process exits 0 in its grace."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.faults.conftest import Stack
from tests.support.processes import start_web
from tests.voice.client import next_event, open_session, ws_url

pytestmark = pytest.mark.slow
SESSIONS, TALKING = 50, 10


async def _until_closed(ws) -> tuple[list[dict], int, str]:
    events = []
    try:
        while True:
            frame = await asyncio.wait_for(ws.recv(), 120)  # a hang guard
            if isinstance(frame, str):
                events.append(json.loads(frame))
    except ConnectionClosed as closed:
        if closed.rcvd is None:  # dropped without a close frame
            return events, 1006, ""
        return events, closed.rcvd.code, closed.rcvd.reason
    return events, 0, ""


async def _resume(stack: Stack, resume_id: str) -> bool:
    ws = await connect(ws_url(stack.web.url), origin=stack.origin)
    start = {"type": "session.start", "site_key": stack.site_key, "resume_id": resume_id}
    await ws.send(json.dumps({**start, "page_url": stack.origin + "/"}))
    ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
    await ws.close()
    return ready.get("resumed") is True


async def _readiness_turns_503(web) -> bool:
    """Whether readiness says 503 while the process still serves: waited for (the deadline is
    a hang guard), and judged inside the drain delay by the log, where the sessions' closing
    starts after it."""
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=30) as http:
        while time.monotonic() < deadline:
            if (await http.get(web.url + "/health/ready")).status_code == 503:
                return "draining: closing" not in web.output()
            await asyncio.sleep(0.05)
    return False


async def test_sigterm_with_50_sessions_mid_turn_closes_each_with_the_hint_and_they_resume(
    stack: Stack,
):
    web = start_web(
        {
            **stack.env,
            # Room for the turns in flight and the checks on a loaded box; the log, not the
            # clock, says whether either ran short.
            "SITESPEAK_SHUTDOWN_GRACE": "60",
            "SITESPEAK_DRAIN_DELAY": "8",
        },
        stack.logs,
        90,
    )
    try:
        opened = [
            await open_session(web.url, stack.origin, stack.site_key) for _ in range(SESSIONS)
        ]
        sockets = [ws for ws, _ in opened]
        resume_ids = [ready["resume_id"] for _, ready in opened]
        for ws in sockets[:TALKING]:
            await ws.send(json.dumps({"type": "input.text", "text": "When are you open?"}))
        for ws in sockets[:TALKING]:  # the turns are under way (a fixed 0.5 s was not always)
            while (await next_event(ws))["type"] != "response.started":
                pass
        web.popen.send_signal(signal.SIGTERM)
        endings = asyncio.gather(*(_until_closed(ws) for ws in sockets))
        assert await _readiness_turns_503(web), web.output()[-3000:]
        results = await endings

        for number, (events, code, reason) in enumerate(results):
            kinds = [e["type"] for e in events]
            assert kinds[-1:] == ["session.closing"], (number, kinds)
            assert code == 1012 and "resume_id" in reason, (number, code, reason)
            if number < TALKING:  # its turn was answered to the end before the goodbye
                done = [e for e in events if e["type"] == "response.done"]
                assert done and not done[0].get("interrupted"), (number, kinds)
        assert web.popen.wait(120) == 0, web.output()[-3000:]
        # Within the grace: every session's goodbye let the stop through.
        assert "at the end of the grace" not in web.output(), web.output()[-3000:]
        resumed = [await _resume(stack, resume_id) for resume_id in resume_ids]
        assert all(resumed), resumed.count(False)
        print(f"SIGTERM: {SESSIONS} sessions ({TALKING} mid-turn): all told, all resumed")
    finally:
        web.stop()
