"""An ASGI layer in front of the whole app that serves hosted sites by their Host header.

A request for a host name that has a link under hosted/hosts/ is answered from that site's live
release and never reaches the app: no admin, API, widget or voice route exists on a hosted host
(the embed tag loads the widget from the admin's origin). Every other request goes on unchanged;
the admin's own host, localhost and IP addresses are never looked up.

The live release is read once per request (two readlinks, which the kernel answers from its
dentry cache, cheaper than a hop to a thread), so a request in flight during a switch is
answered from one whole release. File bodies are never read on the event loop. A small file
(a page, a stylesheet) is read once in a thread and then sent from memory: a release never
changes, so a file's path names its content for good, and Granian's pathsend opened and read
it again for every request (a page came at 0.39x the rate of /health/live; the goal is 0.5x).
Bigger files Granian sends itself (``http.response.pathsend``); other servers get them read in
a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from typing import Any

from sitespeak.hosting import serving
from sitespeak.hosting.serving import Answer, HostRouter, Release, ReleaseCache
from sitespeak.settings import Settings
from sitespeak.web.metrics import WebMetrics

log = logging.getLogger(__name__)
PATHSEND = "http.response.pathsend"
HOSTED_ROUTE = "(hosted site)"  # the route label of every hosted request in the metrics
CHUNK = 256 * 1024
SMALL_FILE = 64 * 1024  # bytes: files up to this are kept in memory once read
SMALL_FILES_TOTAL = 16 * 2**20  # bytes of them kept per web process, least recently sent out


class SmallFiles:
    """The bodies of small files of live releases, by path, least recently used out first."""

    def __init__(self, total: int = SMALL_FILES_TOTAL) -> None:
        self.total, self.size = total, 0
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        # Compressed copies found too big (their size is not in the manifest): not read again.
        self._big: set[str] = set()

    def too_big(self, path: str) -> bool:
        return path in self._big

    def mark_too_big(self, path: str) -> None:
        if len(self._big) > 10_000:  # bounded, like the bodies
            self._big.clear()
        self._big.add(path)

    def get(self, path: str) -> bytes | None:
        body = self._bodies.get(path)
        if body is not None:
            self._bodies.move_to_end(path)
        return body

    def put(self, path: str, body: bytes) -> None:
        if path in self._bodies or len(body) > SMALL_FILE:
            return
        self._bodies[path] = body
        self.size += len(body)
        while self.size > self.total:
            self.size -= len(self._bodies.popitem(last=False)[1])


def read_small(path: str) -> bytes | None:
    """The file's content when it is small, else None (blocking: call it off the loop)."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > SMALL_FILE:
            return None
        return handle.read(SMALL_FILE + 1)


class HostedSites:
    def __init__(self, app: Any, settings: Settings, metrics: WebMetrics | None = None) -> None:
        self.app = app
        self.router = HostRouter(
            settings.state_dir, settings.admin_host, settings.hosted_sites_domain
        )
        self.releases = ReleaseCache()
        self.small = SmallFiles()
        self.metrics = metrics
        # Children resolved once per (method, status): labels() costs more than a 304.
        self._counted: dict[tuple[str, int], Any] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        name = self.router.hosted_name(_host(scope))
        live = self.router.release_for(name) if name else None
        if name is None or (live is None and not self.router.in_hosted_domain(name)):
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websocket (voice, Socket.IO) on a hosted host
            await send({"type": "websocket.close", "code": 1008})
            return
        started = time.perf_counter()
        answer = await self._answer(scope, name, live)
        await self._respond(scope, send, answer)
        self._count(scope["method"], answer.status, time.perf_counter() - started)

    def _count(self, method: str, status: int, seconds: float) -> None:
        if self.metrics is None:
            return
        method = method if method in serving.METHODS else "other"
        child = self._counted.get((method, status))
        if child is None:
            child = self.metrics.requests.labels(method, HOSTED_ROUTE, str(status))
            self._counted[(method, status)] = child
        child.inc()
        if method == "GET":
            self.metrics.latency.labels("GET", HOSTED_ROUTE).observe(seconds)

    async def _answer(self, scope: dict, name: str, live: str | None) -> Answer:
        headers = dict(scope["headers"])
        for _attempt in range(2):
            if live is None:
                return serving.not_found(None, headers)
            try:
                release = await self._release(live)
            except OSError:
                # Pruned between reading ``current`` and its manifest: read the links again.
                live = self.router.release_for(name)
                continue
            except (ValueError, KeyError, TypeError) as exc:
                log.error("hosted release %s has an unreadable manifest: %s", live, exc)
                return serving.unavailable()
            return serving.answer(
                release, scope["method"], scope["path"], scope.get("query_string", b""), headers
            )
        return serving.unavailable()

    async def _release(self, path: str) -> Release:
        found = self.releases.cached(path)
        if found is None:  # first request for this release: read its manifest off the loop
            found = await asyncio.to_thread(self.releases.load, path)
        return found

    async def _respond(self, scope: dict, send: Any, answer: Answer) -> None:
        head = scope["method"] == "HEAD"
        if answer.file is None:
            await _start(send, answer, len(answer.body))
            await send({"type": "http.response.body", "body": b"" if head else answer.body})
            return
        if head:
            size = answer.size
            if size is None:
                size = (await asyncio.to_thread(os.stat, answer.file)).st_size
            await _start(send, answer, size)
            await send({"type": "http.response.body", "body": b""})
            return
        if answer.size is None or answer.size <= SMALL_FILE:  # a compressed copy: size unknown
            body = await self._small_body(answer.file)
            if body is not None:
                await _start(send, answer, len(body))
                await send({"type": "http.response.body", "body": body})
                return
        if PATHSEND in scope.get("extensions", {}):
            await _start(send, answer, answer.size)
            await send({"type": PATHSEND, "path": answer.file})
            return
        await _stream(send, answer, answer.file)

    async def _small_body(self, path: str) -> bytes | None:
        body = self.small.get(path)
        if body is not None or self.small.too_big(path):
            return body
        try:
            body = await asyncio.to_thread(read_small, path)
        except OSError:
            return None  # pruned meanwhile: the stream below answers as it always has
        if body is None:
            self.small.mark_too_big(path)
        else:
            self.small.put(path, body)
        return body


async def _start(send: Any, answer: Answer, length: int | None) -> None:
    headers = answer.headers
    if length is not None:
        headers = [*headers, (b"content-length", str(length).encode())]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})


async def _stream(send: Any, answer: Answer, path: str) -> None:
    """The file in chunks read in a thread; it is opened first, so a release pruned meanwhile
    still reads whole (an open file outlives its unlinking)."""
    try:
        handle = await asyncio.to_thread(open, path, "rb")
    except OSError:  # its release was pruned since the manifest was read
        gone = serving.unavailable()
        await _start(send, gone, len(gone.body))
        await send({"type": "http.response.body", "body": gone.body})
        return
    try:
        size = os.fstat(handle.fileno()).st_size
        await _start(send, answer, size)
        while True:
            chunk = await asyncio.to_thread(handle.read, CHUNK)
            more = len(chunk) == CHUNK
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if not more:
                return
    finally:
        handle.close()


def _host(scope: dict) -> bytes | None:
    for key, value in scope["headers"]:
        if key == b"host":
            return value
    return None
