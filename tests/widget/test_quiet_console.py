"""A quiet console (issue 16, item 4): visitors who come and go leave no ERROR line in the web
process's log; ERROR is kept for errors."""

from __future__ import annotations

import asyncio
import time

from tests.voice.client import ask_text, open_session


async def visits(web_url: str, origin: str, key: str) -> None:
    for n in range(4):
        ws, ready = await open_session(web_url, origin, key)
        assert ready["type"] == "session.ready", ready
        if n % 2:
            await ask_text(ws, "Who founded the bakery?")
        ws.transport.abort()  # the tab closes: no close handshake


def test_visitors_leaving_leave_no_error_on_the_console(widget_web, widget_site):
    before = widget_web.log.read_text(errors="replace")
    asyncio.run(visits(widget_web.url, widget_site.url, widget_site.key))
    asyncio.run(visits(widget_web.url, widget_site.url, widget_site.key))  # garbage to collect
    time.sleep(2)
    new = widget_web.log.read_text(errors="replace")[len(before) :]
    assert " ERROR " not in new, new
