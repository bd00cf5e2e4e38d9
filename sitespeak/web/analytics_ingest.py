"""``POST /widget-events``: the widget's analytics beacons.

Authorised like the voice socket: the site's publishable key (in the batch) and the request's
Origin must match the site's allowed origins (or this box's own origin, for the try-it page).
The batch is validated here, all or nothing (a bad event is a 400 naming it, and nothing is
queued), then added to the analytics queue as one message: no database write on this path. Keys
are looked up through the web process's ``SiteKeys`` cache (``sitespeak.web.site_keys``), which
a ``site.changed`` event empties of the site, whoever changed it.
"""

from __future__ import annotations

import datetime as dt

from quart import Blueprint, Response, jsonify, request

from sitespeak.analytics.events import parse_batch, stored_form
from sitespeak.errors import Forbidden, InvalidInput, Unavailable
from sitespeak.jobs import ingest
from sitespeak.web.runtime import WebRuntime, runtime
from sitespeak.web.voice_ws import origin_allowed

bp = Blueprint("analytics_ingest", __name__)


def _cors(response: Response, origin: str) -> Response:
    response.headers["Access-Control-Allow-Origin"] = origin or "*"
    response.headers["Vary"] = "Origin"
    return response


@bp.route("/widget-events", methods=["OPTIONS"])
async def preflight() -> Response:
    response = Response("", 204)
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return _cors(response, request.headers.get("Origin", ""))


@bp.post("/widget-events")
async def ingest_events() -> Response:
    origin = request.headers.get("Origin", "")
    body = await request.get_data(True, False, False)  # cache, bytes, no form
    accepted = await accept(runtime(), body, origin, f"{request.scheme}://{request.host}")
    return _cors(jsonify({"accepted": accepted}), origin)


async def accept(rt: WebRuntime, body: bytes, origin: str, own: str) -> int:
    """The batch in ``body`` checked and queued; how many events it held. Raises our errors
    (a 400 naming the bad event, a 403 for an origin the site does not allow, a 503 when the
    queue is away). Called by the route above and by the ASGI fast path (web/fastpath.py),
    which answers most beacons without Quart."""
    batch = parse_batch(body)
    site = await rt.site_keys.site_for(batch.key)
    if site is None:
        raise InvalidInput("unknown site key", code="unknown_key")
    if not origin_allowed(rt.settings, site, origin, [own]):
        raise Forbidden(f"origin {origin or '(none)'} is not allowed for this site")
    events = [stored_form(e) for e in batch.events]
    key, member, score = ingest.message(site.tenant_id, site.id, events, dt.datetime.now(dt.UTC))
    try:
        await rt.redis.zadd(key, {member: score})
    except Exception as exc:  # noqa: BLE001 - any Redis failure here is an outage to the client
        raise Unavailable("the analytics queue is unavailable; retry later") from exc
    return len(events)
