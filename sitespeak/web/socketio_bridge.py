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
    "ping",
)


class Disconnected(Exception):
    """The Socket.IO client went away."""


class Connection:
    """One Socket.IO client: its frames queue up for the LiveSession's receive()."""

    def __init__(self, sio: socketio.AsyncServer, sid: str, origin: str, ip: str) -> None:
        self.sio, self.sid, self.origin, self.ip = sio, sid, origin, ip
        self.frames: asyncio.Queue[str | bytes | None] = asyncio.Queue(maxsize=500)
        self.task: asyncio.Task | None = None
        # A binary emit is two engine.io packets (header, attachment): emits from the turn task
        # and the receive loop must not interleave between them.
        self.sending = asyncio.Lock()

    async def receive(self) -> str | bytes:
        frame = await self.frames.get()
        if frame is None:
            raise Disconnected()
        return frame

    async def send_text(self, text: str) -> None:
        data = json.loads(text)
        async with self.sending:
            await self.sio.emit(data.pop("type"), data, to=self.sid)

    async def send_bytes(self, pcm: bytes) -> None:
        async with self.sending:
            await self.sio.emit(AUDIO, pcm, to=self.sid)

    def push(self, frame: str | bytes | None) -> None:
        try:
            self.frames.put_nowait(frame)
        except asyncio.QueueFull:  # a client flooding faster than we read: drop, tell it
            log.warning("socket.io %s: input queue full, frame dropped", self.sid)

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

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        if rt.lifecycle.draining:
            return False
        # The Origin is checked against the site's origins at session.start, as on /voice-ws.
        ip = (environ.get("asgi.scope") or {}).get("client", ("", 0))[0] or ""
        connections[sid] = Connection(sio, sid, environ.get("HTTP_ORIGIN", ""), ip)
        return True

    @sio.event
    async def disconnect(sid: str, *args: Any) -> None:
        conn = connections.pop(sid, None)
        if conn is not None:
            conn.push(None)

    @sio.on("*")
    async def any_event(event: str, sid: str, data: Any = None) -> None:
        conn = connections.get(sid)
        if conn is None:
            return
        if event == AUDIO:
            conn.push(data if isinstance(data, bytes) else b"\x00")  # odd length: bad_audio
            return
        payload = data if isinstance(data, dict) else {}
        frame = json.dumps({**payload, "type": event})
        if event == "session.start" and conn.task is None:
            conn.task = asyncio.ensure_future(_serve(rt, conn, frame))
        else:
            conn.push(frame)

    return sio


async def _serve(rt: WebRuntime, conn: Connection, first: str) -> None:
    services = voice_ws.voice_services(rt)
    live, unregister = None, None
    rt.metrics.voice_sessions.inc()
    try:
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
        event, closed = ending_for(exc)
        log.warning("socket.io session ended by %s: %s", type(exc).__name__, exc, exc_info=True)
        try:
            await conn.send_text(p.encode(event))
        except Exception:  # noqa: BLE001 - the client may be gone already
            pass
        await _close(conn, closed.code, closed.reason)
    finally:
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
    """Socket.IO at /socket.io/ in front of the app (LivenessFastPath → Quart). on_startup and
    on_shutdown stay unset so the lifespan reaches Quart's before/after_serving hooks."""
    rt: WebRuntime = getattr(asgi_app, "runtime", None) or asgi_app.extensions["sitespeak"]
    return socketio.ASGIApp(build_server(rt), other_asgi_app=asgi_app)
