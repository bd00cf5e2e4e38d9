"""SIGTERM on a web process with voice sessions: readiness turns 503 at once while the process
keeps serving for the drain delay, a turn in flight is answered to its end, and then every
session is told to resume elsewhere (session.closing, close 1012 with the resume hint) before
the process exits 0 within the grace."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.processes import start_web
from tests.voice.client import open_session
from tests.voice.conftest import VOICE_ENV

pytestmark = pytest.mark.slow


def _status(url: str, path: str) -> int:
    try:
        return httpx.get(url + path, timeout=10).status_code
    except httpx.HTTPError:
        return 0


async def _read_until_closed(ws) -> tuple[list[dict], int, str]:
    events = []
    try:
        while True:
            frame = await asyncio.wait_for(ws.recv(), 90)  # a hang guard
            if isinstance(frame, str):
                events.append(json.loads(frame))
    except ConnectionClosed as closed:
        return events, closed.rcvd.code if closed.rcvd else 1006, closed.rcvd.reason
    return events, 0, ""


async def test_sigterm_keeps_serving_lets_turns_finish_then_closes_sessions_with_the_hint(
    queue_env, voice_site, tmp_path
):
    web = start_web(
        {
            **queue_env,
            **VOICE_ENV,
            # A drain delay long enough for the checks below to fall inside it on a loaded box
            # (the log says whether they did) and a grace far beyond the turn in flight.
            "SITESPEAK_SHUTDOWN_GRACE": "60",
            "SITESPEAK_DRAIN_DELAY": "10",
            "SITESPEAK_VOICE_AUDIO_LEAD_MS": "0",  # the answer streams in real time: seconds
        },
        tmp_path,
        60,
    )
    try:
        talking, _ = await open_session(web.url, voice_site.origin, voice_site.key)
        idle, _ = await open_session(web.url, voice_site.origin, voice_site.key)
        await talking.send(json.dumps({"type": "input.text", "text": "When are you open?"}))
        while not isinstance(await asyncio.wait_for(talking.recv(), 60), bytes):
            pass  # the answer's audio has started: the turn is in flight
        web.popen.send_signal(signal.SIGTERM)
        talk = asyncio.ensure_future(_read_until_closed(talking))
        rest = asyncio.ensure_future(_read_until_closed(idle))

        # Readiness turns 503 as soon as the process has the signal; everything else is still
        # served for the delay. Waited for, never timed: the deadline is a hang guard.
        deadline = time.monotonic() + 60
        while _status(web.url, "/health/ready") != 503 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert _status(web.url, "/health/ready") == 503
        assert _status(web.url, "/health/live") == 200  # still serving during the delay
        assert _status(web.url, "/health/ready") == 503 and web.popen.poll() is None
        # The checks fell inside the delay: no session had been told to close yet.
        assert "draining: closing" not in web.output(), web.output()[-3000:]

        events, code, reason = await talk
        kinds = [e["type"] for e in events]
        assert "response.done" in kinds and "session.closing" in kinds, kinds
        done = next(e for e in events if e["type"] == "response.done")
        assert not done.get("interrupted"), done  # answered to its end
        assert kinds.index("response.done") < kinds.index("session.closing")
        assert code == 1012 and "resume_id" in reason
        events, code, reason = await rest
        assert [e["type"] for e in events] == ["session.closing"]
        assert code == 1012 and "resume_id" in reason

        assert web.popen.wait(90) == 0, web.output()[-3000:]
        # Within the grace: every session's goodbye let the stop through.
        assert "at the end of the grace" not in web.output(), web.output()[-3000:]
    finally:
        web.stop()
