"""An ASGI layer in front of Quart for the one route a load balancer hits many times a second.

/health/live only reads a number the process already has, so it skips Quart's request
machinery (which costs ~10x a bare response); everything else passes through untouched.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from quart import Quart

from sitespeak.web.runtime import WebRuntime

if TYPE_CHECKING:  # Quart's own ASGI types (hypercorn comes with Quart)
    from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope

LIVE_PATH = "/health/live"


class LivenessFastPath:
    def __init__(self, app: Quart) -> None:
        self.app = app
        self.runtime: WebRuntime = app.extensions["sitespeak"]
        metrics = self.runtime.metrics
        # Resolved once: a labels() lookup costs more than the rest of the response.
        self._count = {
            status: metrics.requests.labels("GET", LIVE_PATH, str(status)) for status in (200, 500)
        }
        self._latency = metrics.latency.labels("GET", LIVE_PATH)

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] != "http" or scope["path"] != LIVE_PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rt = self.runtime
        lag_ms = rt.lifecycle.lag * 1000
        ok = lag_ms <= rt.settings.loop_lag_limit_ms
        body = b'{"status":"%s","loop_lag_ms":%.2f}' % (b"ok" if ok else b"lagging", lag_ms)
        headers = [(b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff")]
        if rt.lifecycle.draining:
            headers.append((b"connection", b"close"))
        status = 200 if ok else 500
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        self._count[status].inc()
        self._latency.observe(time.perf_counter() - started)
