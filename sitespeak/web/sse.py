"""A tenant's events as a Server-Sent Events response, shared by the API and the admin UI."""

from __future__ import annotations

import asyncio

from quart import Response

from sitespeak.web.runtime import WebRuntime

KEEPALIVE = 15.0
_CLOSING = "server.closing"


def tenant_event_stream(rt: WebRuntime, tenant_id: int) -> Response:
    queue = rt.hub.subscribe()

    async def wake(_turns_by: float) -> None:  # draining: end it now, not at the kill timeout
        queue.put_nowait(None)

    async def body():
        unregister = rt.lifecycle.on_drain(wake)
        try:
            yield b": connected\n\n"
            while not rt.lifecycle.closing:  # served during the drain delay, then woken
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if event is None:
                    yield f"event: {_CLOSING}\ndata: {{}}\n\n".encode()
                    break
                if event.tenant_id != tenant_id:
                    continue
                yield f"event: {event.type}\ndata: {event.to_json()}\n\n".encode()
        finally:
            unregister()
            rt.hub.unsubscribe(queue)

    response = Response(body(), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response
