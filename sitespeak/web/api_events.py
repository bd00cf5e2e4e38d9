"""``GET /api/v1/events``: the caller's tenant's events as Server-Sent Events."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag_blueprint

from sitespeak.web.auth import Caller, requires
from sitespeak.web.openapi import answers
from sitespeak.web.runtime import runtime
from sitespeak.web.sse import tenant_event_stream

bp = Blueprint("events", __name__)
tag_blueprint(bp, ["events"])


@bp.get("/api/v1/events")
@requires("read")
@answers(200, "The events (text/event-stream), until the client leaves")
async def stream(caller: Caller) -> Response:
    """The tenant's events as Server-Sent Events"""
    return tenant_event_stream(runtime(), caller.tenant_id)
