"""The web process's speech engine: every call goes to the speech process over its socket.

One connection per web process carries every call at once (requests have ids). When the
speech process is down, restarting or too busy, a call raises SpeechUnavailable quickly:
connecting has a short timeout, a lost connection fails the calls in flight at once, and
every call has ``speech_timeout``. The next call after a restart connects again by itself.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sitespeak.errors import SpeechUnavailable
from sitespeak.settings import Settings
from sitespeak.speech import handshake
from sitespeak.speech import protocol as wire
from sitespeak.voice.speech_api import PRIORITY_LATER, SpeechEngine, Synthesized

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 2.0
WAIT_FRESH_S = 3.0
# A query vector takes milliseconds; past this the question is answered from keywords alone
# rather than waiting out an overloaded process's full timeout.
EMBED_TIMEOUT = 3.0
LOST = None  # put on a call's queue when the connection ends under it
Frame = tuple[dict[str, Any], bytes]


class _Link:
    """One open connection and the calls waiting on it."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_reply: Callable[[dict[str, Any]], None],
    ) -> None:
        self.reader, self.writer, self.on_reply = reader, writer, on_reply
        self.waiting: dict[int, asyncio.Queue[Frame | None]] = {}
        self.closed = False
        self.reading = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            while True:
                header, payload = await wire.read_frame(self.reader)
                self.on_reply(header)
                queue = self.waiting.get(int(header.get("id") or 0))
                if queue is not None:  # else: a reply to a call that gave up
                    queue.put_nowait((header, payload))
        except (asyncio.IncompleteReadError, ConnectionError, OSError, wire.ProtocolError):
            pass
        finally:
            self.close()

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        if self.closed:
            raise SpeechUnavailable("the connection to the speech process was lost")
        self.writer.write(wire.encode(header, payload))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.writer.close()
        for queue in self.waiting.values():
            queue.put_nowait(LOST)


class SpeechClient:
    """Implements sitespeak.voice.speech_api.SpeechEngine against the speech process."""

    def __init__(self, settings: Settings) -> None:
        self.address = wire.parse_address(settings.speech_socket, settings.state_dir)
        self._secret = settings.speech_secret.get_secret_value()
        self.timeout = settings.speech_timeout
        self.stt_name, self.tts_name = "", ""
        self.embedder_name = ""  # the speech process's query embedder; empty: it has none
        self.in_flight = 0
        self._ids = itertools.count(1)
        self._link: _Link | None = None
        self._connecting: asyncio.Lock | None = None
        self._attempts = 0  # connection attempts finished so far
        self._failure = ""  # why the last one failed; empty: it succeeded
        self._box_wait = (0.0, 0.0)  # (ms, monotonic time it was read)
        # How many of this process's visitors are pausing, their decodes about to follow (the
        # voice sessions set it): the speech process batches a decode with theirs.
        self.decodes_coming: Callable[[], int] = lambda: 0

    # --- the connection ----------------------------------------------------------------------

    async def _connected(self) -> _Link:
        if self._link is not None and not self._link.closed:
            return self._link
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        attempt = self._attempts
        async with self._connecting:  # every caller waits for the same reconnect
            if self._link is not None and not self._link.closed:
                return self._link
            if self._attempts != attempt and self._failure:
                # The attempt this call waited for failed: so does this call, at once. Each
                # waiter trying again in turn made a burst of turns during an outage queue up
                # behind one another (retrieval took seconds at 200 sessions).
                raise SpeechUnavailable(self._failure)
            try:
                self._link = await self._connect()
            except SpeechUnavailable as exc:
                self._failure = str(exc)
                raise
            finally:
                self._attempts += 1  # counted once over: the calls that waited on it see it
            self._failure = ""
            return self._link

    async def _connect(self) -> _Link:
        try:
            reader, writer = await asyncio.wait_for(
                wire.open_connection(self.address), CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            why = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
            raise SpeechUnavailable(
                f"the speech process is not reachable at {self.address} ({why})"
            ) from None
        if self.address.path is None:
            await self._prove(reader, writer)
        link = _Link(reader, writer, self._note_wait)
        try:
            hello, _ = (await self._exchange(link, {"op": "hello"}, timeout=CONNECT_TIMEOUT))[0]
        except BaseException:
            link.close()
            raise
        self.stt_name, self.tts_name = hello.get("stt", ""), hello.get("tts", "")
        self.embedder_name = str(hello.get("embedder", ""))
        log.info("connected to the speech process at %s", self.address)
        return link

    async def _prove(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handshake.prove(reader, writer, self._secret)
        except (handshake.Refused, wire.ProtocolError, OSError, EOFError, TimeoutError) as exc:
            writer.close()
            why = exc if isinstance(exc, handshake.Refused) else type(exc).__name__
            log.error("the speech process at %s refused this process: %s", self.address, why)
            raise SpeechUnavailable(
                f"the speech process at {self.address} refused the connection: {why}"
            ) from None

    async def _call(
        self, header: dict[str, Any], payload: bytes = b"", timeout: float | None = None
    ) -> list[tuple[dict[str, Any], bytes]]:
        link = await self._connected()
        self.in_flight += 1
        try:
            return await self._exchange(link, header, payload, timeout)
        finally:
            self.in_flight -= 1

    async def _exchange(
        self,
        link: _Link,
        header: dict[str, Any],
        payload: bytes = b"",
        timeout: float | None = None,
    ) -> list[tuple[dict[str, Any], bytes]]:
        """Send one request; its reply frames up to the one marked last."""
        rid = next(self._ids)
        queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        link.waiting[rid] = queue
        frames = []
        try:
            link.send({**header, "id": rid}, payload)
            async with asyncio.timeout(timeout or self.timeout):
                while True:
                    item = await queue.get()
                    if item is LOST:
                        raise SpeechUnavailable(
                            "the speech process went away during the call (restarting?)"
                        )
                    reply, data = item
                    if "error" in reply:
                        raise SpeechUnavailable(_explain(reply), code=_code(reply.get("error", "")))
                    frames.append((reply, data))
                    if reply.get("last", True):
                        return frames
        except TimeoutError:
            self._cancel(link, rid)
            raise SpeechUnavailable(
                f"the speech process did not answer within {timeout or self.timeout:g}s "
                "(overloaded?)"
            ) from None
        except asyncio.CancelledError:
            self._cancel(link, rid)  # a barge-in or a discarded speculation: drop queued work
            raise
        finally:
            link.waiting.pop(rid, None)

    @staticmethod
    def _cancel(link: _Link, rid: int) -> None:
        if not link.closed:
            link.send({"op": "cancel", "id": 0, "target": rid})

    def _note_wait(self, reply: dict[str, Any]) -> None:
        if "wait_ms" in reply:
            self._box_wait = (float(reply["wait_ms"]), time.monotonic())

    @property
    def box_wait_ms(self) -> float:
        """The speech process's latest predicted wait for a new job, while fresh (a reading
        older than a few seconds says nothing about now: the queue may have drained)."""
        ms, at = self._box_wait
        return ms if time.monotonic() - at < WAIT_FRESH_S else 0.0

    # --- SpeechEngine ------------------------------------------------------------------------

    async def ready(self) -> SpeechEngine:
        await self._connected()
        return self

    async def transcribe(self, pcm16k: bytes) -> str:
        header: dict[str, Any] = {"op": "transcribe"}
        coming = self.decodes_coming()
        if coming:
            header["coming"] = coming
        (reply, _), *_ = await self._call(header, pcm16k)
        return str(reply.get("text", ""))

    async def transcribe_partial(self, pcm16k: bytes) -> str:
        # An older speech process ignores the flag: the caption is then decoded as urgently
        # as a finished question, as before.
        (reply, _), *_ = await self._call({"op": "transcribe", "partial": True}, pcm16k)
        return str(reply.get("text", ""))

    async def synthesize(self, text: str, *, priority: int = PRIORITY_LATER) -> Synthesized:
        frames = await self._call({"op": "synthesize", "text": text, "priority": priority})
        last = frames[-1][0]  # an older speech process sends no "cached": not from the cache
        return Synthesized(
            b"".join(data for _, data in frames), int(last["rate"]), bool(last.get("cached"))
        )

    async def embed(
        self, texts: list[str], *, priority: int = PRIORITY_LATER, timeout: float | None = None
    ) -> tuple[str, np.ndarray]:
        """The name of the box's local embedder (vectors stored under another name are not
        comparable) and the texts' (len(texts), dim) float32 vectors. A visitor's question
        gives up after EMBED_TIMEOUT; background work (PRIORITY_BACKGROUND) waits behind every
        question and passes its own ``timeout``."""
        timeout = timeout or min(self.timeout, EMBED_TIMEOUT)
        header = {"op": "embed", "texts": texts, "priority": priority}
        (reply, data), *_ = await self._call(header, timeout=timeout)
        rows, dim = int(reply["rows"]), int(reply["dim"])
        if rows != len(texts) or len(data) != rows * dim * 4:
            raise SpeechUnavailable("the speech process sent vectors of the wrong shape")
        matrix = np.frombuffer(data, dtype="<f4").reshape(rows, dim)
        return str(reply.get("name", "")), matrix

    @property
    def idle(self) -> bool:
        """Connected and none of this process's calls waiting: optional work may go ahead
        (never a partial transcript into a speech process that is down)."""
        return self._link is not None and not self._link.closed and self.in_flight == 0

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link.reading.cancel()

    # --- operations --------------------------------------------------------------------------

    async def health(self, timeout: float = 1.0) -> dict[str, Any]:
        (reply, _), *_ = await self._call({"op": "health"}, timeout=timeout)
        health: dict[str, Any] = reply["health"]
        return health

    async def metrics(self, timeout: float = 1.0) -> bytes:
        (_, page), *_ = await self._call({"op": "metrics"}, timeout=timeout)
        return page


def _code(error: str) -> str:
    return "speech_busy" if error == "overloaded" else "speech_unavailable"


def _explain(reply: dict[str, Any]) -> str:
    if reply.get("error") == "overloaded":
        return "the speech process is overloaded"
    return f"the speech process could not do it: {reply.get('message', reply.get('error'))}"
