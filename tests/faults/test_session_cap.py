"""The cap on voice sessions per client address holds across the box: two web processes (behind
a proxy on 127.0.0.1 that the test plays) share one count in Redis, a session closed frees its
slot at once, and the sessions of a web process killed with SIGKILL stop counting when their
leases run out: nothing is left behind."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.faults.conftest import Stack
from tests.support.processes import start_web
from tests.voice.client import ws_url

pytestmark = pytest.mark.slow
# The lease is long enough that a loaded box's slowness never lets a crashed process's slot
# (renewed every third of it) run out before the test looks, nor a live one's between renewals.
CAP, LEASE = 2, 10.0


async def _open(web, address: str):
    return await connect(
        ws_url(web.url), origin="https://x.example", additional_headers={"X-Forwarded-For": address}
    )


async def _refused(ws, within: float = 30) -> str | None:
    """The reason of a 4429 close within ``within`` seconds; None while the session stays open."""
    try:
        await asyncio.wait_for(ws.recv(), within)
    except ConnectionClosed as closed:
        assert closed.rcvd.code == 4429, closed.rcvd
        return closed.rcvd.reason
    except TimeoutError:
        return None
    return None


async def _admitted(web, address: str, within: float = LEASE / 2):
    """A connection from ``address`` the server keeps open, as soon as it takes one (tried
    again until ``within`` seconds: a slot given back is free well before its lease ends)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ws = await _open(web, address)
        if await _refused(ws, 1) is None:
            return ws
        await asyncio.sleep(0.2)
    return None


def _crash(web) -> None:
    """SIGKILL to the web process and its Granian workers (the ones holding the sessions)."""
    import psutil

    tree = [psutil.Process(web.popen.pid), *psutil.Process(web.popen.pid).children(True)]
    for proc in tree:
        proc.send_signal(signal.SIGKILL)
    psutil.wait_procs(tree, timeout=10)
    web.popen.wait(10)


async def test_the_sessions_per_address_cap_is_box_wide_and_a_killed_web_leaves_nothing_behind(
    stack: Stack,
):
    env = {
        **stack.env,
        "SITESPEAK_VOICE_PRELOAD": "false",
        "SITESPEAK_TRUSTED_PROXIES": "127.0.0.1",
        "SITESPEAK_VOICE_SESSIONS_PER_ADDRESS": str(CAP),
        "SITESPEAK_VOICE_SESSION_LEASE": str(LEASE),
        "SITESPEAK_VOICE_START_TIMEOUT": "120",  # the test's connections never start a session
    }
    one, two = start_web(env, stack.logs, 90), start_web(env, stack.logs, 90)
    visitor = f"203.0.113.{uuid.uuid4().int % 200 + 1}"
    try:
        on_one, on_two = await _open(one, visitor), await _open(two, visitor)
        assert await _refused(on_one, 1) is None and await _refused(on_two, 1) is None
        third = await _open(two, visitor)  # two's own count is 1: only the box-wide one is full
        assert "too many voice sessions from your address" in (await _refused(third) or "")
        assert await _refused(await _open(two, "198.51.100.7"), 1) is None  # others get in

        await on_two.close()  # a slot given back is free again at once, not at its lease's end
        again = await _admitted(two, visitor)
        assert again is not None

        _crash(one)  # holding on_one's slot, never given back
        killed = time.monotonic()
        assert await _refused(await _open(two, visitor)) is not None  # its lease still runs
        freed = None
        while freed is None and time.monotonic() - killed < LEASE + 90:  # a hang guard
            await asyncio.sleep(0.5)
            attempt = await _open(two, visitor)
            if await _refused(attempt, 1) is None:
                freed = time.monotonic() - killed
        assert freed is not None, "the killed web's slot was never freed"
        print(f"session cap: the killed web's slot was free again after {freed:.1f} s")
        await asyncio.sleep(LEASE + 1)  # the live process renews its sessions' leases
        assert await _refused(await _open(two, visitor)) is not None
    finally:
        one.stop()
        two.stop()
