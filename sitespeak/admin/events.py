"""``/admin/events``: the admin's tenant's events as Server-Sent Events, for live crawl progress.

The API's stream wants a Bearer token, which EventSource cannot send; this one uses the session.
"""

from __future__ import annotations

from quart import Blueprint, Response

from sitespeak.admin.context import Admin, page
from sitespeak.web.runtime import runtime
from sitespeak.web.sse import tenant_event_stream

bp = Blueprint("admin_events", __name__, url_prefix="/admin")


@bp.get("/events")
@page("read")
async def stream(admin: Admin) -> Response:
    return tenant_event_stream(runtime(), admin.member_of)


stream.__admin_stream__ = True  # never ends: the isolation test only checks it needs a login
