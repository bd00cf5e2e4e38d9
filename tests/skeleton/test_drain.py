"""A draining web process stops serving only after every open socket has said goodbye: a hook
returns once its goodbye is queued, but its close frame goes out when its handler unwinds, and
stopping the server before that drops the visitor without the resume hint."""

from __future__ import annotations

import asyncio

from sitespeak.web.lifecycle import Lifecycle


async def test_the_server_stops_after_the_last_session_has_closed_its_socket():
    loop = asyncio.get_running_loop()
    lifecycle = Lifecycle(grace=5)
    happened: list[str] = []

    async def handler(name: str, unwinds_in: float) -> None:
        said = asyncio.Event()

        async def goodbye(_turns_by: float) -> None:
            said.set()

        unregister = lifecycle.on_drain(goodbye)
        await said.wait()
        await asyncio.sleep(unwinds_in)  # the handler still has its close frame to send
        happened.append(f"{name} closed")
        unregister()

    handlers = [asyncio.ensure_future(handler(n, t)) for n, t in (("a", 0.05), ("b", 0.3))]
    await asyncio.sleep(0)
    stop = asyncio.Handle(lambda: happened.append("server stopped"), (), loop)
    await lifecycle.drain(stop)
    await asyncio.gather(*handlers)

    assert happened == ["a closed", "b closed", "server stopped"]


async def test_a_session_that_never_unwinds_holds_the_stop_only_until_the_grace():
    loop = asyncio.get_running_loop()
    lifecycle = Lifecycle(grace=1.6)  # goodbyes by 0.6 s: the margin is kept for the stop

    async def goodbye(_turns_by: float) -> None:
        pass

    lifecycle.on_drain(goodbye)  # never unregistered: a handler stuck somewhere
    stopped = loop.create_future()
    started = loop.time()
    await lifecycle.drain(asyncio.Handle(lambda: stopped.set_result(loop.time()), (), loop))

    assert 0.5 <= await stopped - started < 1.5
