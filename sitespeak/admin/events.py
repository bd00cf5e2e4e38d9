"""``/admin/events``: the admin's tenant's events as Server-Sent Events, for live crawl progress.

The API's stream wants a Bearer token, which EventSource cannot send; this one uses the session.
"""

from __future__ import annotations

import asyncio
import json

from quart import Blueprint, Response

from sitespeak.admin.context import Admin, page
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_events", __name__, url_prefix="/admin")
KEEPALIVE = 15.0


@bp.get("/events")
@page("read")
async def stream(admin: Admin) -> Response:
    rt = runtime()
    queue = rt.hub.subscribe()
    tenant_id = admin.tenant_id

    async def body():
        try:
            yield b": connected\n\n"
            while not rt.lifecycle.draining:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if event.get("tenant_id") != tenant_id:
                    continue
                yield (f"event: {event.get('type', 'message')}\n"
                       f"data: {json.dumps(event)}\n\n").encode()
        finally:
            rt.hub.unsubscribe(queue)

    response = Response(body(), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response


stream.__admin_stream__ = True  # never ends: the isolation test only checks it needs a login
