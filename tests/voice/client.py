"""A real /voice-ws client over the `websockets` package, as a widget would speak it."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

FRAME = 640  # 20 ms of 16 kHz PCM16


@dataclass
class Turn:
    events: list[dict[str, Any]] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    audio_frames: int = 0
    first_audio_at: float | None = None
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (perf_counter, bytes)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def done(self) -> dict[str, Any]:
        return self.of("response.done")[-1]


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/voice-ws"


async def open_session(
    http_url: str, origin: str, site_key: str, **start: Any
) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(ws_url(http_url), origin=origin, max_size=4 * 1024 * 1024)
    await ws.send(
        json.dumps(
            {"type": "session.start", "site_key": site_key, "page_url": origin + "/", **start}
        )
    )
    ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
    return ws, ready


async def next_event(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    """The next JSON event, skipping audio frames."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        if isinstance(frame, str):
            return json.loads(frame)


async def until_done(
    ws: ClientConnection,
    timeout: float = 90,
    turn: Turn | None = None,
    stop_after_audio: int | None = None,
) -> Turn:
    """Read one turn up to its response.done (or stop after N audio frames)."""
    turn = turn or Turn()
    deadline = time.monotonic() + timeout
    while True:
        frame = await asyncio.wait_for(ws.recv(), max(deadline - time.monotonic(), 0.01))
        if isinstance(frame, bytes):
            turn.audio += frame
            turn.audio_frames += 1
            turn.first_audio_at = turn.first_audio_at or time.perf_counter()
            turn.arrivals.append((time.perf_counter(), len(frame)))
            if stop_after_audio and turn.audio_frames >= stop_after_audio:
                return turn
            continue
        event = json.loads(frame)
        event["_at"] = time.perf_counter()
        turn.events.append(event)
        if event["type"] in ("response.done", "error"):
            return turn


async def until_response_done(ws: ClientConnection, timeout: float = 120) -> Turn:
    """Read past error events (a degraded turn is told, then still done)."""
    turn = Turn()
    while not turn.of("response.done"):
        await until_done(ws, timeout, turn=turn)
    return turn


async def speak(ws: ClientConnection, pcm: bytes, realtime: bool = True) -> None:
    """Stream PCM in 20 ms frames, paced like a microphone (or as fast as possible)."""
    start = time.perf_counter()
    for index in range(0, len(pcm), FRAME):
        await ws.send(pcm[index : index + FRAME])
        if realtime:
            due = start + (index + FRAME) / 32000
            await asyncio.sleep(max(due - time.perf_counter(), 0))


async def ask_text(ws: ClientConnection, text: str) -> Turn:
    await ws.send(json.dumps({"type": "input.text", "text": text}))
    return await until_done(ws)
