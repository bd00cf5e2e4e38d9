"""The one loopback HTTP server behind the tests' fake websites (the knowledge base's bakery, the
voice tests' bakery, the widget's host pages, the answer-quality sites): a free port on
127.0.0.1, a thread per request, every request recorded. What a site answers is a function of
the request, so each site module holds its pages and its rules, not a server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from tests.support.serving import serving


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # as sent: path, query and all
    path: str  # without query or fragment
    query: str
    headers: Message  # looked up case-insensitively
    body: bytes
    at: float  # time.monotonic() when it arrived


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


NOT_FOUND = Reply(404, "<html><body>not found</body></html>", "text/html")


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, content_type=None, headers={"Location": location})


Respond = Callable[[Request], Reply]


class SiteServer:
    """``with SiteServer(respond) as server:`` serves ``respond(request)`` at ``server.url``."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._running = ExitStack()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[Request]:
        """Every request so far, in arrival order (a copy: requests may arrive meanwhile)."""
        with self._lock:
            return list(self._requests)

    def record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def __enter__(self) -> SiteServer:
        self._running.enter_context(serving(self._server))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._running.close()


def _handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # small replies go out at once, not 40 ms later

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer(b"")

        def do_POST(self) -> None:  # noqa: N802
            self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _answer(self, body: bytes) -> None:
            path, _, query = self.path.split("#")[0].partition("?")
            arrived = time.monotonic()
            request = Request(self.command, self.path, path, query, self.headers, body, arrived)
            site.record(request)
            self._send(site.respond(request))

        def _send(self, reply: Reply) -> None:
            data = reply.body.encode() if isinstance(reply.body, str) else reply.body
            self.send_response(reply.status)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            if reply.status != 304:  # a 304 has no body, and its length is not 0
                self.send_header("Content-Length", str(len(data)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - its name
            pass

    return Handler
