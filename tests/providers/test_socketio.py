"""The same protocol over Socket.IO: python-socketio's AsyncClient (websocket transport) doing
text and spoken turns, with the same key and origin checks as /voice-ws."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio

from sitespeak.voice.audio import rms
from tests.voice.client import FRAME
from tests.voice.speech import speech

pytestmark = pytest.mark.slow
SERVER_EVENTS = (
    "session.ready",
    "speech.started",
    "speech.stopped",
    "transcript.partial",
    "transcript.final",
    "response.started",
    "response.text.delta",
    "response.action",
    "response.done",
    "error",
    "session.closing",
    "pong",
    "session.closed",
)


@dataclass
class SioVisitor:
    """A Socket.IO voice client that records every event and audio payload it gets."""

    client: socketio.AsyncClient
    events: list[dict[str, Any]] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    audio_events: int = 0
    audio_at: list[float] = field(default_factory=list)  # perf_counter() of each payload
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def wait_for(self, kind: str, count: int = 1, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while len(self.of(kind)) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), max(deadline - time.monotonic(), 0.01))
        return self.of(kind)[count - 1]


async def sio_visitor(url: str, origin: str) -> SioVisitor:
    client = socketio.AsyncClient(reconnection=False)
    visitor = SioVisitor(client)

    def recorder(kind: str):
        async def record(data: Any = None) -> None:
            visitor.events.append({**(data or {}), "type": kind, "_at": time.perf_counter()})
            visitor.arrived.set()

        return record

    for kind in SERVER_EVENTS:
        client.on(kind, recorder(kind))

    async def on_audio(data: bytes) -> None:
        visitor.audio += data
        visitor.audio_events += 1
        visitor.audio_at.append(time.perf_counter())
        visitor.arrived.set()

    client.on("audio", on_audio)
    await client.connect(url, transports=["websocket"], headers={"Origin": origin}, wait_timeout=10)
    return visitor


async def start(visitor: SioVisitor, key: str, origin: str, **extra: Any) -> dict[str, Any]:
    await visitor.client.emit("session.start", {"site_key": key, "page_url": origin + "/", **extra})
    return await visitor.wait_for("session.ready", 1, 30)


async def disconnected(visitor: SioVisitor, within: float = 30) -> bool:
    """Whether the server drops the connection within ``within`` seconds (it does right after
    session.closed; a fixed 0.2 s was not always enough on a loaded box)."""
    deadline = time.monotonic() + within
    while visitor.client.connected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return not visitor.client.connected


async def test_a_socketio_client_takes_a_text_turn(web_a, openai_site, fake):
    visitor = await sio_visitor(web_a.url, openai_site.origin)
    ready = await start(visitor, openai_site.key, openai_site.origin)
    assert ready["resume_id"].startswith("vr_")
    await visitor.client.emit("input.text", {"text": "What time do you open on Sunday?"})
    done = await visitor.wait_for("response.done")
    await visitor.client.disconnect()
    assert "9 am" in done["text"]
    assert done["citations"][0]["url"] == openai_site.origin + "/hours"
    assert visitor.of("response.started") and visitor.of("response.text.delta")
    assert visitor.audio_events > 0 and rms(bytes(visitor.audio)) > 300


async def test_a_socketio_client_takes_a_spoken_turn(web_a, openai_site, fake):
    fake.transcript = "Where is your shop?"
    visitor = await sio_visitor(web_a.url, openai_site.origin)
    await start(visitor, openai_site.key, openai_site.origin)
    pcm = speech("Where is your shop?")
    begun = time.perf_counter()
    for index in range(0, len(pcm), FRAME):  # 20 ms frames, paced like a microphone
        await visitor.client.emit("audio", pcm[index : index + FRAME])
        await asyncio.sleep(max(begun + (index + FRAME) / 32000 - time.perf_counter(), 0))
    done = await visitor.wait_for("response.done")
    await visitor.client.disconnect()
    kinds = [e["type"] for e in visitor.events]
    assert (
        kinds.index("speech.started")
        < kinds.index("speech.stopped")
        < kinds.index("transcript.final")
    )
    assert visitor.of("transcript.final")[0]["text"] == fake.transcript
    assert "Harbour Street" in done["text"] and visitor.audio_events > 0


async def test_a_socketio_client_gets_errors_and_the_session_goes_on(web_a, openai_site):
    visitor = await sio_visitor(web_a.url, openai_site.origin)
    await start(visitor, openai_site.key, openai_site.origin)
    await visitor.client.emit("input.text", {"text": ""})
    error = await visitor.wait_for("error")
    assert error["code"] == "invalid_message" and error["fatal"] is False
    await visitor.client.emit("audio", b"\x01\x02\x03")
    assert (await visitor.wait_for("error", 2))["code"] == "bad_audio"
    await visitor.client.emit("ping", {"id": 7})
    assert (await visitor.wait_for("pong"))["id"] == 7
    await visitor.client.disconnect()


@pytest.mark.parametrize(
    "key, origin, code", [("pk_unknown_key", None, 4001), (None, "https://evil.example", 4003)]
)
async def test_a_bad_key_or_origin_is_refused_with_the_voice_ws_close_code(
    web_a, openai_site, key, origin, code
):
    visitor = await sio_visitor(web_a.url, origin or openai_site.origin)
    await visitor.client.emit("session.start", {"site_key": key or openai_site.key})
    closed = await visitor.wait_for("session.closed", 1, 20)
    assert closed["code"] == code
    assert not visitor.of("session.ready")
    assert await disconnected(visitor)


async def test_a_socketio_client_that_never_starts_a_session_is_closed_like_on_voice_ws(
    web_a, openai_site
):
    visitor = await sio_visitor(web_a.url, openai_site.origin)
    closed = await visitor.wait_for("session.closed", 1, 90)  # the start timeout is 15 s here
    assert closed == {**closed, "code": 4400, "reason": "send session.start first"}
    assert await disconnected(visitor)


async def test_events_before_session_start_are_refused_and_not_kept(web_a, openai_site):
    visitor = await sio_visitor(web_a.url, openai_site.origin)
    await visitor.client.emit("input.text", {"text": "When do you open?"})
    refused = await visitor.wait_for("error", 1, 10)
    assert refused["code"] == "not_started" and refused["fatal"] is False
    await visitor.client.emit("audio", b"\x00\x01" * 450_000)  # 900 KB before any session
    assert (await visitor.wait_for("error", 2, 10))["code"] == "not_started"
    await start(visitor, openai_site.key, openai_site.origin)
    await visitor.client.emit("ping", {"id": 3})
    assert (await visitor.wait_for("pong"))["id"] == 3
    assert not visitor.of("response.started")  # the early question was not queued for later
    await visitor.client.disconnect()


def test_a_connections_buffer_is_bounded_in_bytes_and_freed_when_it_leaves():
    from sitespeak.web.socketio_bridge import Connection

    conn = Connection(None, "sid", "https://o.example", "127.0.0.1", max_buffered=100_000)
    taken = sum(conn.push(b"\x00" * 30_000) for _ in range(10))
    assert taken == 3 and conn.buffered == 90_000
    assert not conn.push(b"\x00" * 20_000) and conn.push(b"\x00" * 10_000)
    conn.end()
    assert conn.buffered == 0 and conn.frames.qsize() == 1  # only the wake-up for receive()
