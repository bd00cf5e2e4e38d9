"""The widget's beacons answered by the ASGI fast path in front of Quart: the same answers, byte
for byte where it matters, as the Quart route gives for the same requests, without Quart."""

from __future__ import annotations

import json
import socket
import uuid
from dataclasses import dataclass, field

import pytest

from sitespeak.web.fastpath import FastPath
from tests.admin.conftest import quiet_app

ORIGIN = "https://shop.example"
# What a client reads of an answer besides its status and body.
COMPARED = (
    b"content-type",
    b"access-control-allow-origin",
    b"vary",
    b"x-content-type-options",
    b"referrer-policy",
    b"retry-after",
)


@dataclass
class Answer:
    status: int = 0
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""

    def seen_by_a_client(self) -> tuple:
        wanted = {k: v for k, v in self.headers.items() if k in COMPARED}
        return self.status, json.loads(self.body), wanted


async def call(app, body: bytes, origin: str = ORIGIN, length: bool = True) -> Answer:
    """One POST /widget-events through ``app`` over ASGI, as Granian hands it over."""
    headers = [(b"host", b"box.example"), (b"content-type", b"text/plain;charset=UTF-8")]
    headers += [(b"origin", origin.encode())] if origin else []
    headers += [(b"content-length", str(len(body)).encode())] if length else []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": "/widget-events",
        "raw_path": b"/widget-events",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    answer = Answer()

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.lower(): v for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


def batch(key: str, *events: dict) -> bytes:
    return json.dumps({"key": key, "events": list(events)}).encode()


def opened(**extra) -> dict:
    return {"id": uuid.uuid4().hex, "session": "s-fast-visitor", "type": "panel.opened", **extra}


@pytest.fixture()
async def app(settings):
    async with quiet_app(settings) as application:
        yield application


def through_quart(app) -> list[str]:
    """What reached Quart: the path of every request its hooks saw."""
    seen: list[str] = []

    @app.before_request
    async def _seen() -> None:
        from quart import request

        seen.append(request.path)

    return seen


async def test_a_beacon_gets_the_answer_quart_gives_without_going_through_quart(
    app, alice, make_site
):
    site = make_site(alice.tenant, ORIGIN)
    seen = through_quart(app)
    fast = FastPath(app)
    requests = {
        "accepted": (batch(site.key, opened(page="/"), opened(page="/visit")), ORIGIN),
        "not JSON": (b"{not json", ORIGIN),
        "a bad event": (batch(site.key, opened(type="nope")), ORIGIN),
        "an unknown key": (batch("pk_" + "x" * 24, opened()), ORIGIN),
        "another origin": (batch(site.key, opened()), "https://elsewhere.example"),
        "no origin": (batch(site.key, opened()), ""),
    }
    for why, (body, origin) in requests.items():
        by_quart = await call(app, body, origin)
        answered = await call(fast, body, origin)
        assert answered.seen_by_a_client() == by_quart.seen_by_a_client(), why
    assert (await call(fast, requests["accepted"][0])).status == 200
    # Quart saw only the requests sent to it directly, none of the fast path's.
    assert seen == ["/widget-events"] * len(requests)


async def test_a_beacon_without_a_length_or_over_the_limit_goes_to_quart(app, alice, make_site):
    site = make_site(alice.tenant, ORIGIN)
    seen = through_quart(app)
    fast = FastPath(app)
    chunked = await call(fast, batch(site.key, opened()), length=False)
    assert chunked.status == 200 and json.loads(chunked.body) == {"accepted": 1}
    too_big = await call(fast, batch(site.key, opened(page="/" + "x" * 70_000)))
    assert too_big.status == 400 and b"at most 65536 bytes" in too_big.body
    assert seen == ["/widget-events"] * 2


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
async def app_without_redis(settings):
    """The web app with its Redis at an address where nothing listens. Set up before the
    database fixtures, so torn down after them (it closes the database pool)."""
    away = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"})
    async with quiet_app(away) as application:
        yield application


async def test_a_beacon_while_redis_is_away_is_a_503_with_retry_after_on_both_paths(
    app_without_redis, alice, make_site
):
    site = make_site(alice.tenant, ORIGIN)
    body = batch(site.key, opened())
    by_quart = await call(app_without_redis, body)
    answered = await call(FastPath(app_without_redis), body)
    assert answered.seen_by_a_client() == by_quart.seen_by_a_client()
    assert answered.status == 503 and answered.headers[b"retry-after"] == b"5"
