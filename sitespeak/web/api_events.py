"""``GET /api/v1/events``: the caller's tenant's events as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json

from quart import Blueprint, Response

from sitespeak.web.auth import api_caller
from sitespeak.web.runtime import runtime

bp = Blueprint("events", __name__)
KEEPALIVE = 15.0


@bp.get("/api/v1/events")
async def stream() -> Response:
    caller = await api_caller("read")
    rt = runtime()
    queue = rt.hub.subscribe()

    async def wake() -> None:  # draining: end the stream now rather than at the kill timeout
        queue.put_nowait({"type": "server.closing"})

    async def body():
        unregister = rt.lifecycle.on_drain(wake)
        try:
            yield b": connected\n\n"
            while not rt.lifecycle.draining:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if event.get("type") == "server.closing":
                    yield b"event: server.closing\ndata: {}\n\n"
                    break
                if event.get("tenant_id") != caller.tenant_id:
                    continue
                data = json.dumps(event)
                yield f"event: {event.get('type', 'message')}\ndata: {data}\n\n".encode()
        finally:
            unregister()
            rt.hub.unsubscribe(queue)

    response = Response(body(), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response
