"""A draining web process stops serving only after every open socket has said goodbye: a hook
returns once its goodbye is queued, but its close frame goes out when its handler unwinds, and
stopping the server before that drops the visitor without the resume hint."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sitespeak.web.lifecycle import MARGIN, Lifecycle

HANG_GUARD = 60  # seconds: only a broken drain that never stops comes near it


async def test_the_server_stops_after_the_last_session_has_closed_its_socket():
    loop = asyncio.get_running_loop()
    # A grace far beyond the test: the stop waits for the sockets, never for the clock.
    lifecycle = Lifecycle(grace=HANG_GUARD)
    happened: list[str] = []
    said = {name: asyncio.Event() for name in ("a", "b")}
    unwind = {name: asyncio.Event() for name in ("a", "b")}

    async def handler(name: str) -> None:
        async def goodbye(_turns_by: float) -> None:
            said[name].set()

        unregister = lifecycle.on_drain(goodbye)
        await said[name].wait()
        await unwind[name].wait()  # the handler still has its close frame to send
        happened.append(f"{name} closed")
        unregister()

    handlers = [asyncio.ensure_future(handler(n)) for n in said]
    await asyncio.sleep(0)
    stop = asyncio.Handle(lambda: happened.append("server stopped"), (), loop)
    draining = asyncio.ensure_future(lifecycle.drain(stop))
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in said.values())), HANG_GUARD)
    unwind["a"].set()
    await asyncio.wait_for(handlers[0], HANG_GUARD)
    await asyncio.sleep(0)  # a stop the first close wrongly let through has its turn here
    assert happened == ["a closed"]
    unwind["b"].set()
    await asyncio.wait_for(draining, HANG_GUARD)
    await asyncio.gather(*handlers)

    assert happened == ["a closed", "b closed", "server stopped"]


async def test_a_session_that_never_unwinds_holds_the_stop_only_until_the_grace(
    caplog: pytest.LogCaptureFixture,
):
    loop = asyncio.get_running_loop()
    grace = 1.6  # goodbyes by 0.6 s: the margin is kept for the stop
    lifecycle = Lifecycle(grace=grace)

    async def goodbye(_turns_by: float) -> None:
        pass

    lifecycle.on_drain(goodbye)  # never unregistered: a handler stuck somewhere
    stopped = loop.create_future()
    started = loop.time()
    with caplog.at_level(logging.INFO, logger="sitespeak.web.lifecycle"):
        drained = lifecycle.drain(asyncio.Handle(lambda: stopped.set_result(loop.time()), (), loop))
        await asyncio.wait_for(drained, HANG_GUARD)  # it stops, stuck handler or not

    # Not before the grace (less its margin) was used up: the loop's clock never runs early.
    assert await stopped - started >= grace - MARGIN
    # And because the grace ran out, with the stuck handler still registered.
    assert "1 sessions or streams still open at the end of the grace" in caplog.text
