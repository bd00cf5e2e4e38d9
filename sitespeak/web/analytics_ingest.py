"""``POST /widget-events``: the widget's analytics beacons.

Authorised like the voice socket: the site's publishable key (in the batch) and the request's
Origin must match the site's allowed origins (or this box's own origin, for the try-it page).
The batch is validated here, all or nothing (a bad event is a 400 naming it, and nothing is
queued), then added to the analytics queue as one message: no database write on this path. Keys
are looked up once and cached for ``KEY_TTL`` seconds, so a busy site costs no query per beacon;
a site whose origins change, or that is deleted, leaves every web process's cache at once
(``site_changed``, announced over the event bus).
"""

from __future__ import annotations

import datetime as dt
import time

from quart import Blueprint, Response, jsonify, request

from sitespeak.analytics.events import parse_batch, stored_form
from sitespeak.errors import Forbidden, InvalidInput, Unavailable
from sitespeak.events.bus import Event, EventType
from sitespeak.jobs import ingest
from sitespeak.web.runtime import runtime
from sitespeak.web.voice_ws import SiteRef, _site, origin_allowed

bp = Blueprint("analytics_ingest", __name__)
KEY_TTL = 30.0
_keys: dict[str, tuple[float, SiteRef | None]] = {}
_forgets = [0]  # how many times entries were dropped: a lookup that overlapped one is not kept


async def _site_for(key: str) -> SiteRef | None:
    now = time.monotonic()
    cached = _keys.get(key)
    if cached and cached[0] > now:
        return cached[1]
    forgotten = _forgets[0]
    site = await runtime().db.run(_site, key)
    if _forgets[0] != forgotten:
        return site  # read before a change may have landed: used once, never cached
    if len(_keys) > 10_000:  # a flood of made-up keys must not grow this without bound
        _keys.clear()
    _keys[key] = (now + KEY_TTL, site)
    return site


async def site_changed(tenant_id: int | None, site_id: int) -> None:
    """After a site's origins changed or it was deleted: out of this process's cache now, and
    out of the other web processes' when the event reaches them."""
    forget(site_id)
    rt = runtime()
    await rt.db.run(rt.publisher.publish, EventType.SITE_CHANGED, tenant_id, {"site_id": site_id})


def on_event(event: Event) -> None:
    if event.type == EventType.SITE_CHANGED:
        forget(int(event.data.get("site_id") or 0))


async def resync() -> None:
    """After a (re)subscription: a change may have been missed, so nothing cached is trusted."""
    _forgets[0] += 1
    _keys.clear()


def forget(site_id: int) -> None:
    _forgets[0] += 1
    for key in [k for k, (_, site) in _keys.items() if site is not None and site.id == site_id]:
        _keys.pop(key, None)


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
    batch = parse_batch(await request.get_data(True, False, False))  # cache, bytes, no form
    site = await _site_for(batch.key)
    if site is None:
        raise InvalidInput("unknown site key", code="unknown_key")
    own = f"{request.scheme}://{request.host}"
    if not origin_allowed(runtime().settings, site, origin, [own]):
        raise Forbidden(f"origin {origin or '(none)'} is not allowed for this site")
    events = [stored_form(e) for e in batch.events]
    key, member, score = ingest.message(site.tenant_id, site.id, events, dt.datetime.now(dt.UTC))
    try:
        await runtime().redis.zadd(key, {member: score})
    except Exception as exc:  # noqa: BLE001 - any Redis failure here is an outage to the client
        raise Unavailable("the analytics queue is unavailable; retry later") from exc
    return _cors(jsonify({"accepted": len(events)}), origin)
