"""The /voice-ws protocol over Socket.IO, on the same port as the Quart app.

Event names are the protocol's message types (``session.start``, ``input.text``,
``response.done``...); the payload is the message without its ``type``. Audio travels as the
binary payload of ``audio`` events, both ways. Admission (key, origin, formats, resume), limits,
errors, idle timeout and drain are the voice core's own code: each Socket.IO connection becomes a
``Wire`` feeding a LiveSession, exactly as a WebSocket does. A refused or ended session gets a
``session.closed`` event {code, reason} with the /voice-ws close code, then a disconnect.

Websocket transport only: with several workers or replicas and no sticky routing, long-polling
breaks (a poll reaches a process that never saw the handshake).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import socketio

from sitespeak.errors import InvalidInput
from sitespeak.voice import protocol as p
from sitespeak.voice.live import Closed, Wire, ending_for
from sitespeak.web import voice_ws
from sitespeak.web.runtime import WebRuntime

log = logging.getLogger(__name__)
AUDIO = "audio"
CLIENT_TYPES = (
    "session.start",
    "input.commit",
    "input.text",
    "response.cancel",
    "action.result",
    "greeting.request",
    "ping",
)


class Disconnected(Exception):
    """The Socket.IO client went away."""


class Connection:
    """One Socket.IO client: its frames queue up for the LiveSession's receive(), bounded in
    bytes (not only in count: 500 frames of 1 MB each were 500 MB per connection)."""

    def __init__(
        self, sio: socketio.AsyncServer, sid: str, origin: str, ip: str, max_buffered: int
    ) -> None:
        self.sio, self.sid, self.origin, self.ip = sio, sid, origin, ip
        self.frames: asyncio.Queue[str | bytes | None] = asyncio.Queue(maxsize=500)
        self.buffered = 0  # bytes waiting in ``frames``
        self.max_buffered = max_buffered
        self.overflowing = False  # told once per overflow, not once per dropped frame
        self.task: asyncio.Task | None = None
        self.start_timer: asyncio.TimerHandle | None = None
        # A binary emit is two engine.io packets (header, attachment): emits from the turn task
        # and the receive loop must not interleave between them.
        self.sending = asyncio.Lock()

    async def receive(self) -> str | bytes:
        frame = await self.frames.get()
        if frame is None:
            raise Disconnected()
        self.buffered -= len(frame)
        if self.buffered <= self.max_buffered // 2:
            self.overflowing = False
        return frame

    async def send_text(self, text: str) -> None:
        data = json.loads(text)
        async with self.sending:
            await self.sio.emit(data.pop("type"), data, to=self.sid)

    async def send_bytes(self, pcm: bytes) -> None:
        async with self.sending:
            await self.sio.emit(AUDIO, pcm, to=self.sid)

    def push(self, frame: str | bytes) -> bool:
        """Queue ``frame`` for the session; False (dropped) when the client sends faster than
        the session reads and the buffer is full."""
        if self.buffered + len(frame) > self.max_buffered:
            return False
        try:
            self.frames.put_nowait(frame)
        except asyncio.QueueFull:
            return False
        self.buffered += len(frame)
        return True

    def end(self) -> None:
        """The client left: free what it buffered and wake the session's receive()."""
        if self.start_timer is not None:
            self.start_timer.cancel()
        while not self.frames.empty():
            self.frames.get_nowait()
        self.buffered = 0
        self.frames.put_nowait(None)

    async def refuse(self, code: str, message: str) -> None:
        await self.send_text(p.encode(p.ErrorEvent(code=code, message=message, fatal=False)))

    @property
    def wire(self) -> Wire:
        return Wire(self.receive, self.send_text, self.send_bytes)


def build_server(rt: WebRuntime) -> socketio.AsyncServer:
    settings = rt.settings
    sio = socketio.AsyncServer(
        async_mode="asgi",
        transports=["websocket"],
        cors_allowed_origins="*",
        # Larger than our own frame limit, so an oversize frame gets our `error` event instead
        # of engine.io silently dropping the socket.
        max_http_buffer_size=max(4 * settings.voice_max_frame_bytes, 1_000_000),
        logger=False,
        engineio_logger=False,
    )
    connections: dict[str, Connection] = {}
    # Enough for a few frames in flight while the session is admitted or busy; beyond that the
    # client is flooding, and what it sends is dropped, not kept.
    max_buffered = max(4 * settings.voice_max_frame_bytes, 256 * 1024)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        if rt.lifecycle.draining:
            return False
        # The Origin is checked against the site's origins at session.start, as on /voice-ws.
        ip = (environ.get("asgi.scope") or {}).get("client", ("", 0))[0] or ""
        conn = Connection(sio, sid, environ.get("HTTP_ORIGIN", ""), ip, max_buffered)
        connections[sid] = conn
        # As on /voice-ws: a connection that never starts a session does not stay.
        conn.start_timer = asyncio.get_running_loop().call_later(
            settings.voice_start_timeout,
            lambda: (
                conn.task is None
                and sid in connections
                and asyncio.ensure_future(_close(conn, 4400, "send session.start first"))
            ),
        )
        return True

    @sio.event
    async def disconnect(sid: str, *args: Any) -> None:
        conn = connections.pop(sid, None)
        if conn is not None:
            conn.end()

    @sio.on("*")
    async def any_event(event: str, sid: str, data: Any = None) -> None:
        conn = connections.get(sid)
        if conn is None:
            return
        if event == AUDIO:
            frame: str | bytes = data if isinstance(data, bytes) else b"\x00"  # odd: bad_audio
        else:
            payload = data if isinstance(data, dict) else {}
            frame = json.dumps({**payload, "type": event})
        if conn.task is None:
            if event == "session.start" and isinstance(frame, str):
                conn.task = asyncio.ensure_future(_serve(rt, conn, frame))
            else:  # nothing is kept for a session that may never start
                await conn.refuse("not_started", "send session.start first")
            return
        if len(frame) > settings.voice_max_frame_bytes:  # refused here, never buffered
            await conn.refuse(
                "frame_too_large",
                f"frames may be at most {settings.voice_max_frame_bytes} bytes (got {len(frame)})",
            )
        elif not conn.push(frame) and not conn.overflowing:
            conn.overflowing = True
            log.warning("socket.io %s: input buffer full, frames dropped", sid)
            await conn.refuse("input_overflow", "sending faster than the session reads: dropped")

    return sio


async def _serve(rt: WebRuntime, conn: Connection, first: str) -> None:
    services = rt.voice
    ticket = await services.addresses.take(conn.ip)
    if ticket is None:
        await _close(conn, 4429, services.addresses.refusal(conn.ip))
        return
    live, unregister = None, None
    rt.metrics.voice_sessions.inc()
    try:
        if len(first) > p.MAX_START_BYTES:
            raise Closed(1009, f"session.start may be at most {p.MAX_START_BYTES} bytes")
        start = _parse_start(first)
        live = await voice_ws.admit(rt, services, start, conn.origin, conn.ip, conn.wire)
        unregister = rt.lifecycle.on_drain(live.close_for_drain)
        await live.run()
    except Closed as closed:
        await _close(conn, closed.code, closed.reason)
    except Disconnected:
        pass
    except InvalidInput as exc:
        await conn.send_text(p.encode(p.ErrorEvent(code=exc.code, message=exc.message, fatal=True)))
        await _close(conn, 4400, exc.message[:120])
    except Exception as exc:  # noqa: BLE001 - the visitor is told why, then the socket closes
        event, ending = ending_for(exc)
        log.warning("socket.io session ended by %s: %s", type(exc).__name__, exc, exc_info=True)
        try:
            await conn.send_text(p.encode(event))
        except Exception:  # noqa: BLE001 - the client may be gone already
            pass
        await _close(conn, ending.code, ending.reason)
    finally:
        services.addresses.give_back(ticket)
        rt.metrics.voice_sessions.dec()
        if unregister:
            unregister()
        if live is not None:
            asyncio.ensure_future(
                rt.db.run(voice_ws.conversations.close_session, live.state.session_id)
            )


def _parse_start(frame: str) -> p.SessionStart:
    message = p.parse_client(frame)
    if not isinstance(message, p.SessionStart):
        raise Closed(4400, f"the first message must be session.start, not {message.type}")
    return message


async def _close(conn: Connection, code: int, reason: str) -> None:
    try:
        await conn.sio.emit("session.closed", {"code": code, "reason": reason}, to=conn.sid)
        await conn.sio.disconnect(conn.sid)
    except Exception:  # noqa: BLE001 - the client may be gone already
        log.debug("socket.io %s: close after it left", conn.sid)


def wrap(asgi_app: Any) -> socketio.ASGIApp:
    """Socket.IO at /socket.io/ in front of the app (FastPath → Quart). on_startup and
    on_shutdown stay unset so the lifespan reaches Quart's before/after_serving hooks."""
    rt: WebRuntime = getattr(asgi_app, "runtime", None) or asgi_app.extensions["sitespeak"]
    return socketio.ASGIApp(build_server(rt), other_asgi_app=asgi_app)
