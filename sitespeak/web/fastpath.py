"""An ASGI layer in front of Quart for the two routes hit many times a second.

- ``GET /health/live`` only reads a number the process already has.
- ``POST /widget-events`` (the widget's analytics beacons) checks a small body and adds it to a
  Redis queue: Quart's request machinery cost ~10x that (p50 5 ms a batch, p95 15 ms, against
  0.4 ms of our own work). The fast path answers a beacon with a ``Content-Length`` within the
  batch limit, through the same ``accept`` as the Quart route and the same error bodies
  (sitespeak.web.problems); anything else (chunked, oversized, another method) goes to Quart.

Both add what Quart's hooks add to these routes: the security headers, the request metrics and
``Connection: close`` while the process drains.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from quart import Quart

from sitespeak.analytics.events import MAX_BODY as MAX_BATCH
from sitespeak.errors import SiteSpeakError
from sitespeak.web import analytics_ingest, problems
from sitespeak.web.runtime import WebRuntime

if TYPE_CHECKING:  # Quart's own ASGI types (hypercorn comes with Quart)
    from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope

LIVE_PATH = "/health/live"
EVENTS_PATH = "/widget-events"
Headers = list[tuple[bytes, bytes]]
# What the security and instrumentation hooks put on every answer of these two routes.
COMMON = [(b"x-content-type-options", b"nosniff")]
BEACON_COMMON = [*COMMON, (b"referrer-policy", b"strict-origin-when-cross-origin")]


class FastPath:
    def __init__(self, app: Quart) -> None:
        self.app = app
        self.runtime: WebRuntime = app.extensions["sitespeak"]
        metrics = self.runtime.metrics
        # Resolved once: a labels() lookup costs more than the rest of the response.
        self._live_count = {
            status: metrics.requests.labels("GET", LIVE_PATH, str(status)) for status in (200, 500)
        }
        self._live_latency = metrics.latency.labels("GET", LIVE_PATH)
        self._events_latency = metrics.latency.labels("POST", EVENTS_PATH)
        self._events_count: dict[int, Any] = {}  # by status, resolved on first use

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http":
            if scope["path"] == LIVE_PATH and scope["method"] == "GET":
                await self._live(send)
                return
            if scope["path"] == EVENTS_PATH and scope["method"] == "POST":
                length = _content_length(scope)
                if length is not None and length <= MAX_BATCH:
                    await self._beacon(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _live(self, send: ASGISendCallable) -> None:
        started = time.perf_counter()
        rt = self.runtime
        lag_ms = rt.lifecycle.lag * 1000
        ok = lag_ms <= rt.settings.loop_lag_limit_ms
        body = b'{"status":"%s","loop_lag_ms":%.2f}' % (b"ok" if ok else b"lagging", lag_ms)
        status = 200 if ok else 500
        await self._send(send, status, b"application/json", body, COMMON)
        self._live_count[status].inc()
        self._live_latency.observe(time.perf_counter() - started)

    async def _beacon(
        self, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        started = time.perf_counter()
        origin = _header(scope, b"origin")
        body = await _body(receive)
        if body is None:
            return  # nothing to answer, nothing queued
        try:
            own = f"{scope['scheme']}://{_header(scope, b'host')}"
            accepted = await analytics_ingest.accept(self.runtime, body, origin, own)
        except SiteSpeakError as exc:
            await self._problem(send, problems.ours(exc))
        except Exception as exc:  # noqa: BLE001 - as Quart's last error handler
            await self._problem(send, problems.unexpected(exc))
        else:
            cors = [
                (b"access-control-allow-origin", (origin or "*").encode("latin-1")),
                (b"vary", b"Origin"),
            ]
            body = b'{"accepted":%d}\n' % accepted
            await self._send(send, 200, b"application/json", body, [*BEACON_COMMON, *cors])
            self._count(200)
        self._events_latency.observe(time.perf_counter() - started)

    async def _problem(
        self, send: ASGISendCallable, parts: tuple[int, bytes, dict[str, str]]
    ) -> None:
        status, body, extra = parts
        headers = [*BEACON_COMMON, *((k.lower().encode(), v.encode()) for k, v in extra.items())]
        await self._send(send, status, problems.CONTENT_TYPE.encode(), body, headers)
        self._count(status)

    def _count(self, status: int) -> None:
        child = self._events_count.get(status)
        if child is None:
            child = self.runtime.metrics.requests.labels("POST", EVENTS_PATH, str(status))
            self._events_count[status] = child
        child.inc()

    async def _send(
        self,
        send: ASGISendCallable,
        status: int,
        content_type: bytes,
        body: bytes,
        headers: Headers,
    ) -> None:
        head = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ]
        if self.runtime.lifecycle.draining:
            head.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _header(scope: HTTPScope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _content_length(scope: HTTPScope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value.isdigit() else None


async def _body(receive: ASGIReceiveCallable) -> bytes | None:
    """The request's body, or None when the client went away. Reading stops past the batch
    limit (a client may send more than it announced): what was read is then refused as too
    big, as the Quart route refuses it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= MAX_BATCH:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)
