"""Proof of the shared secret on a speech process listening on host:port.

A Unix socket in the state dir is guarded by its file permissions (owner and group only); a TCP
port is open to every process on the machine, and to other machines when it listens beyond
loopback. There the first frames of a connection are a challenge and its answer, before any
request is read:

    speech process → {"op": "challenge", "nonce"}       (16 random bytes, hex)
    client         → {"op": "auth", "mac"}              (HMAC-SHA256 of the nonce, keyed by
                                                         SITESPEAK_SPEECH_SECRET, hex)
    speech process → {"op": "welcome"}, or {"error": "unauthorized", "message"} and it closes.

The secret itself never crosses the wire, and an answer overheard once is useless for the next
connection (a new nonce). It does not encrypt what follows: across machines, use a private
network or a tunnel.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from sitespeak.speech import protocol as wire

TIMEOUT = 5.0  # an unauthenticated connection is held no longer than this


class Refused(Exception):
    """The other side did not prove the secret (or it was refused)."""


def _mac(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


async def challenge(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, secret: str
) -> None:
    """The speech process's side: returns once the client proved the secret; raises Refused
    (after telling the client why) when it did not."""
    nonce = secrets.token_hex(16)
    writer.write(wire.encode({"op": "challenge", "nonce": nonce}))
    try:
        header, _ = await asyncio.wait_for(wire.read_frame(reader), TIMEOUT)
    except TimeoutError:
        raise Refused(f"no answer to the challenge within {TIMEOUT:g}s") from None
    given = header.get("mac")
    if header.get("op") != "auth" or not isinstance(given, str):
        why = f"expected an auth frame first, got op {header.get('op')!r}"
    elif not hmac.compare_digest(given.encode(), _mac(secret, nonce).encode()):
        why = "wrong secret (SITESPEAK_SPEECH_SECRET differs)"
    else:
        writer.write(wire.encode({"op": "welcome"}))
        return
    writer.write(wire.encode({"id": 0, "error": "unauthorized", "message": why}))
    raise Refused(why)


async def prove(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, secret: str) -> None:
    """The client's side: answers the challenge; raises Refused when the speech process
    refuses (or speaks no handshake: it listens on a Unix socket, or is another program)."""
    if not secret:
        raise Refused("SITESPEAK_SPEECH_SECRET is not set (a host:port speech process needs it)")
    header, _ = await asyncio.wait_for(wire.read_frame(reader), TIMEOUT)
    nonce = header.get("nonce")
    if header.get("op") != "challenge" or not isinstance(nonce, str):
        raise Refused("the speech process sent no challenge")
    writer.write(wire.encode({"op": "auth", "mac": _mac(secret, nonce)}))
    header, _ = await asyncio.wait_for(wire.read_frame(reader), TIMEOUT)
    if header.get("op") != "welcome":
        raise Refused(str(header.get("message") or "the speech process refused the connection"))


def prove_blocking(
    next_frame: Callable[[], dict[str, Any]], send: Callable[[bytes], Any], secret: str
) -> None:
    """``prove`` for a blocking socket (``check``); PermissionError when refused."""
    if not secret:
        raise PermissionError("SITESPEAK_SPEECH_SECRET is not set (a host:port speech process)")
    header = next_frame()
    nonce = header.get("nonce")
    if header.get("op") != "challenge" or not isinstance(nonce, str):
        raise PermissionError("the speech process sent no challenge")
    send(wire.encode({"op": "auth", "mac": _mac(secret, nonce)}))
    header = next_frame()
    if header.get("op") != "welcome":
        raise PermissionError(str(header.get("message") or "refused"))
