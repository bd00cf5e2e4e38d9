"""``GET /api/v1/events``: the caller's tenant's events as Server-Sent Events."""

from __future__ import annotations

from quart import Blueprint, Response

from sitespeak.web.auth import api_caller
from sitespeak.web.runtime import runtime
from sitespeak.web.sse import tenant_event_stream

bp = Blueprint("events", __name__)


@bp.get("/api/v1/events")
async def stream() -> Response:
    caller = await api_caller("read")
    return tenant_event_stream(runtime(), caller.tenant_id)
