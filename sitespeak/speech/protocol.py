"""The speech process's wire format: one frame per message, in both directions.

A frame is ``!II`` (header length, payload length), then the header (UTF-8 JSON object), then
the payload (raw bytes: PCM16 audio, or a metrics page). Every request carries an ``id`` the
client chose; replies carry the same id, so one connection multiplexes any number of calls
and a slow synthesis never holds up a transcription behind it.

Requests (client → speech process):
    {"id", "op": "hello"}                                  → {"id", "stt", "tts", "rate"}
    {"id", "op": "transcribe", "partial"?} + PCM16 16 kHz   → {"id", "text"}; ``partial``: a
                                                              live caption, optional work (runs
                                                              after finished questions)
    {"id", "op": "synthesize", "text", "priority"}         → {"id", "rate", "last", "cached"}
                                                              + PCM16, 1+ frames; ``cached``:
                                                              the phrase cache had it (older
                                                              clients ignore the field)
    {"id", "op": "embed", "texts", "priority"}              → {"id", "name", "dim", "rows"}
                                                              + float32 little-endian, rows × dim:
                                                              query vectors of the box's local
                                                              embedder (``name`` is recorded
                                                              with stored vectors); a
                                                              ``priority`` of -1 (background)
                                                              waits for every other request
    {"id", "op": "cancel", "target"}                       (no reply; a queued job is dropped)
    {"id", "op": "health"}                                 → {"id", "health": {...}}
    {"id", "op": "metrics"}                                → {"id"} + Prometheus text
Errors: {"id", "error": code, "message"}; codes are ``overloaded``, ``bad_request`` and ``failed``.
Every reply also carries ``wait_ms``: how long a first phrase arriving now would wait for a slot
(the web processes' admission control reads it).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = struct.Struct("!II")
MAX_HEADER = 64 * 1024
MAX_PAYLOAD = 32 * 1024 * 1024  # 15 min of 16 kHz PCM16: far above any turn's audio
CHUNK = 64 * 1024  # synthesized PCM is sent in chunks of at most this many bytes
MAX_EMBED_TEXTS = 64  # queries in one embed request: a web process asks for one at a time
MAX_EMBED_CHARS = 4000  # per text: the embedder truncates at 256 tokens anyway
SOCKET_NAME = "speech.sock"


class ProtocolError(Exception):
    """A frame that is not ours (wrong size, not JSON): the connection is closed."""


@dataclass(frozen=True)
class Address:
    """Where the speech process listens: a Unix socket path, or a TCP host and port."""

    path: Path | None = None
    host: str = ""
    port: int = 0

    def __str__(self) -> str:
        return str(self.path) if self.path else f"{self.host}:{self.port}"


_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


def parse_address(value: str, state_dir: Path) -> Address:
    """``SITESPEAK_SPEECH_SOCKET``: empty → speech.sock in the state dir; ``host:port`` → TCP;
    anything else is a socket path."""
    if not value:
        return Address(path=state_dir.resolve() / SOCKET_NAME)
    found = _HOST_PORT.match(value)
    if found and "/" not in value:
        return Address(host=found.group(1).strip("[]"), port=int(found.group(2)))
    return Address(path=Path(value))


def encode(header: dict[str, Any], payload: bytes = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return PREFIX.pack(len(head), len(payload)) + head + payload


async def read_frame(reader: asyncio.StreamReader) -> tuple[dict[str, Any], bytes]:
    """The next frame; IncompleteReadError at a clean end of stream."""
    head_len, payload_len = PREFIX.unpack(await reader.readexactly(PREFIX.size))
    if head_len > MAX_HEADER or payload_len > MAX_PAYLOAD:
        raise ProtocolError(f"frame too large ({head_len} + {payload_len} bytes)")
    try:
        header = json.loads(await reader.readexactly(head_len))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    payload = await reader.readexactly(payload_len) if payload_len else b""
    return header, payload


def hello(address: Address, timeout: float = 2.0, secret: str = "") -> dict[str, Any]:
    """Blocking: the speech process's hello reply (for ``check``); OSError when unreachable,
    PermissionError when it refuses ``secret`` (host:port only)."""
    if address.path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(str(address.path))
        except OSError:
            sock.close()
            raise
    else:
        sock = socket.create_connection((address.host, address.port), timeout)
    with sock, sock.makefile("rb") as stream:
        if address.path is None:
            from sitespeak.speech.handshake import prove_blocking

            prove_blocking(lambda: _blocking_frame(stream), sock.sendall, secret)
        sock.sendall(encode({"id": 1, "op": "hello"}))
        return _blocking_frame(stream)


def _blocking_frame(stream: Any) -> dict[str, Any]:
    """The next frame's header, its payload skipped."""
    head_len, payload_len = PREFIX.unpack(_exactly(stream, PREFIX.size))
    header: dict[str, Any] = json.loads(_exactly(stream, head_len))
    _exactly(stream, payload_len)
    return header


def _exactly(stream: Any, size: int) -> bytes:
    data: bytes = stream.read(size)
    if len(data) < size:
        raise ConnectionError("the speech process closed the connection")
    return data


async def open_connection(
    address: Address, limit: int = 2**20
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if address.path is not None:
        return await asyncio.open_unix_connection(str(address.path), limit=limit)
    return await asyncio.open_connection(address.host, address.port, limit=limit)
