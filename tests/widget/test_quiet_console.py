"""A quiet console (issue 16, item 4): visitors who come and go leave no ERROR line in the web
process's log; ERROR is kept for errors."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.support.processes import wait_for
from tests.voice.client import ask_text, open_session


async def visits(web_url: str, origin: str, key: str) -> None:
    for n in range(4):
        ws, ready = await open_session(web_url, origin, key)
        assert ready["type"] == "session.ready", ready
        if n % 2:
            await ask_text(ws, "Who founded the bakery?")
        ws.transport.abort()  # the tab closes: no close handshake


def open_sessions(web_url: str) -> float:
    """The web process's open voice sockets, from its metrics (read from this machine)."""
    text = httpx.get(web_url + "/metrics", timeout=30).text
    found = re.search(r"^sitespeak_voice_sessions(?:\{[^}]*\})? (\S+)$", text, re.M)
    assert found, "no sitespeak_voice_sessions in /metrics"
    return float(found.group(1))


def test_visitors_leaving_leave_no_error_on_the_console(widget_web, widget_site):
    before = widget_web.log.read_text(errors="replace")
    asyncio.run(visits(widget_web.url, widget_site.url, widget_site.key))
    asyncio.run(visits(widget_web.url, widget_site.url, widget_site.key))  # garbage to collect
    # Every handler has unwound (what it would log, it has logged): no session is open any more.
    wait_for(lambda: open_sessions(widget_web.url) == 0, 60, 0.1, "the sessions' handlers ended")
    new = widget_web.log.read_text(errors="replace")[len(before) :]
    assert " ERROR " not in new, new
