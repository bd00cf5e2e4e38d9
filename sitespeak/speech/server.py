"""``PROCESS_TYPE=speech``: the box's speech models behind a local socket.

The models load once, then the socket opens (so a connection that succeeds is a process that
can answer). Each connection is one web process; its requests run concurrently, each reply is
one or more frames with the request's id (sitespeak.speech.protocol). The synthesized-phrase
cache lives here, shared by every web process on the box.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sitespeak import __version__
from sitespeak.errors import SettingsError, SiteSpeakError
from sitespeak.settings import Settings
from sitespeak.speech import handshake
from sitespeak.speech import protocol as wire
from sitespeak.speech.metrics import SpeechMetrics
from sitespeak.speech.models import (
    SpeechModels,
    TextEmbedder,
    limit_malloc_arenas,
    release_free_memory,
)
from sitespeak.speech.prepared import PreparedAudio
from sitespeak.speech.scheduler import Overloaded, Scheduler
from sitespeak.voice.speech_api import PRIORITY_BACKGROUND, PRIORITY_LATER
from sitespeak.voice.speech_cache import SentenceCache

log = logging.getLogger(__name__)


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class SpeechService:
    """What a connection's requests call: the scheduler, the phrase cache, health."""

    def __init__(self, settings: Settings, models: Any) -> None:
        self.settings, self.models = settings, models
        self.metrics = SpeechMetrics()
        self.scheduler = Scheduler(
            models.transcribe_batch,
            models.synthesize,
            embed_batch=models.embed_batch if getattr(models, "embedder", None) else None,
            on_idle=release_free_memory if settings.speech_trim_memory else None,
            slots=settings.speech_slots or os.cpu_count() or 1,
            batch_window=settings.speech_batch_window_ms / 1000,
            max_batch=settings.speech_max_batch,
            max_queue=settings.speech_max_queue,
            observer=self.metrics.observer(),
        )
        self.phrases = SentenceCache(settings.voice_tts_cache_mb * 2**20)
        self.prepared = PreparedAudio(
            settings.state_dir / "speech" / "prepared", settings.speech_prepared_mb * 2**20
        )
        self.started = time.time()
        self.connections = 0

    async def transcribe(self, pcm: bytes, partial: bool = False, coming: int = 0) -> str:
        """``partial``: a live caption of speech still going on, optional work. ``coming``:
        other visitors of the caller are pausing and their decodes follow within ms; this
        one waits ``speech_coming_window_ms`` for them (their speculative decodes start at
        SPECULATE_AFTER_MS of silence, PAUSING_MS after they count as pausing), so that they
        share one batch rather than two (one transcription batch runs at a time: the second
        would wait for the first)."""
        kind = "partial" if partial else "stt"
        coming_window = self.settings.speech_coming_window_ms / 1000
        window = coming_window if coming > 0 and not partial else 0.0
        return str(await self.scheduler.submit(kind, pcm, 0, window))

    async def embed(self, texts: list[str], priority: int = PRIORITY_LATER) -> bytes:
        """The texts' vectors as float32 little-endian rows; PRIORITY_BACKGROUND waits for
        every visitor's question."""
        matrix = await self.scheduler.submit("embed", texts, priority)
        return bytes(matrix.astype("<f4").tobytes())

    async def synthesize(self, text: str, priority: int) -> tuple[bytes, int, bool]:
        """PCM, its rate, and whether the phrase cache had it (no synthesis was waited for)."""
        self.scheduler.promote(text, priority)  # a shared synthesis waits at the highest rank
        (pcm, rate), cached = await self.phrases.fetch(
            text, lambda: self.scheduler.submit("tts", text, priority)
        )
        if priority == PRIORITY_BACKGROUND:  # prepared: kept on disk for the next start
            try:
                await asyncio.get_running_loop().run_in_executor(
                    None, self.prepared.keep, text, (pcm, rate)
                )
            except OSError as exc:  # a full disk costs the next start this phrase, no more
                log.warning("could not keep a prepared phrase: %s", exc)
        return pcm, rate, cached

    def restore_prepared(self) -> int:
        """The phrases prepared before the last stop, back in the phrase cache."""
        entries = self.prepared.load()
        for text, audio in entries:
            self.phrases.put(text, audio)
        return len(entries)

    def hello(self) -> dict[str, Any]:
        return {
            "stt": self.models.stt_name,
            "tts": self.models.tts_name,
            "rate": self.models.sample_rate,
            "embedder": getattr(self.models, "embedder_name", ""),
            "version": __version__,
            "pid": os.getpid(),
        }

    def health(self) -> dict[str, Any]:
        s = self.scheduler
        batches = list(s.recent_batches)
        return {
            "status": "ok",
            "version": __version__,
            "pid": os.getpid(),
            "uptime_s": round(time.time() - self.started, 1),
            "models": {
                "loaded": True,
                "stt": self.models.stt_name,
                "tts": self.models.tts_name,
                "load_s": round(getattr(self.models, "load_seconds", 0.0), 2),
            },
            "slots": s.slots,
            "running": s.running,
            "queue_depth": s.depth,
            "predicted_wait_ms": round(s.predicted_wait() * 1000, 1),
            "max_queue": s.max_queue,
            "batch_sizes": {
                "recent": len(batches),
                "max": max(batches, default=0),
                "mean": round(sum(batches) / len(batches), 2) if batches else 0.0,
            },
            "phrase_cache": {
                "entries": len(self.phrases._done),
                "bytes": self.phrases.bytes,
                "hits": self.phrases.hits,
                "misses": self.phrases.misses,
                "prepared": len(self.prepared),
                "prepared_bytes": self.prepared.bytes,
            },
            "connections": self.connections,
            "rss_bytes": rss_bytes(),
            "last_error": s.last_error,
        }

    def metrics_page(self) -> bytes:
        m, s = self.metrics, self.scheduler
        m.queue_depth.set(s.depth)
        m.running.set(s.running)
        m.cache_hits.set(self.phrases.hits)
        m.cache_misses.set(self.phrases.misses)
        m.rss.set(rss_bytes())
        return m.render()


class Connection:
    """One client (a web process): requests in, replies out, all concurrent."""

    def __init__(
        self, service: SpeechService, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.service, self.reader, self.writer = service, reader, writer
        self.tasks: dict[Any, asyncio.Task[None]] = {}

    async def serve(self) -> None:
        self.service.connections += 1
        try:
            while True:
                header, payload = await wire.read_frame(self.reader)
                rid = header.get("id")
                if header.get("op") == "cancel":
                    task = self.tasks.get(header.get("target"))
                    if task is not None:
                        task.cancel()
                    continue
                task = asyncio.ensure_future(self.answer(rid, header, payload))
                self.tasks[rid] = task
                task.add_done_callback(functools.partial(self._forget, rid))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the web process went away (or restarts): nothing to answer
        except wire.ProtocolError as exc:
            log.warning("closing a speech connection: %s", exc)
        finally:
            self.service.connections -= 1
            for task in list(self.tasks.values()):
                task.cancel()  # queued work for a gone client is dropped
            self.writer.close()

    def _forget(self, rid: Any, task: asyncio.Task[None]) -> None:
        self.tasks.pop(rid, None)

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        if not self.writer.is_closing():
            wait_ms = round(self.service.scheduler.predicted_wait() * 1000, 1)
            self.writer.write(wire.encode({**header, "wait_ms": wait_ms}, payload))

    async def answer(self, rid: Any, header: dict[str, Any], payload: bytes) -> None:
        op = header.get("op")
        svc = self.service
        try:
            if op == "transcribe":
                partial, coming = bool(header.get("partial")), int(header.get("coming") or 0)
                heard = await svc.transcribe(payload, partial, coming)
                self.send({"id": rid, "text": heard})
            elif op == "embed":
                texts = _embed_texts(header.get("texts"))
                vectors = await svc.embed(texts, int(header.get("priority", PRIORITY_LATER)))
                dim = len(vectors) // 4 // len(texts)
                name = svc.models.embedder_name
                self.send({"id": rid, "name": name, "dim": dim, "rows": len(texts)}, vectors)
            elif op == "synthesize":
                text = header.get("text")
                if not isinstance(text, str) or not text.strip():
                    raise ValueError("synthesize needs a non-empty text")
                priority = int(header.get("priority", PRIORITY_LATER))
                pcm, rate, cached = await svc.synthesize(text, priority)
                self.send_audio(rid, pcm, rate, cached)
            elif op == "hello":
                self.send({"id": rid, **svc.hello()})
            elif op == "health":
                self.send({"id": rid, "health": svc.health()})
            elif op == "metrics":
                self.send({"id": rid}, svc.metrics_page())
            else:
                raise ValueError(f"unknown op {op!r}")
            await self.writer.drain()
        except asyncio.CancelledError:
            raise
        except Overloaded as exc:
            self.send({"id": rid, "error": "overloaded", "message": str(exc)})
        except (ValueError, TypeError) as exc:
            self.send({"id": rid, "error": "bad_request", "message": str(exc)})
        except ConnectionError:
            pass
        except Exception as exc:  # noqa: BLE001 - this call failed; the process serves on
            log.exception("speech %s failed", op)
            self.send({"id": rid, "error": "failed", "message": f"{type(exc).__name__}: {exc}"})

    def send_audio(self, rid: Any, pcm: bytes, rate: int, cached: bool = False) -> None:
        """PCM in chunks, so a long answer does not sit in one frame and the client's reader
        sees progress; the last chunk says so. ``cached``: the phrase cache had it (a field
        older clients ignore)."""
        chunks = [pcm[i : i + wire.CHUNK] for i in range(0, len(pcm), wire.CHUNK)] or [b""]
        for number, chunk in enumerate(chunks):
            header = {"id": rid, "rate": rate, "last": number == len(chunks) - 1}
            self.send({**header, "cached": cached}, chunk)


def _embed_texts(texts: Any) -> list[str]:
    if not isinstance(texts, list) or not texts or len(texts) > wire.MAX_EMBED_TEXTS:
        raise ValueError(f"embed needs a list of 1 to {wire.MAX_EMBED_TEXTS} texts")
    if not all(isinstance(text, str) for text in texts):
        raise ValueError("embed needs texts (strings)")
    return [text[: wire.MAX_EMBED_CHARS] for text in texts]


async def _listen(service: SpeechService, address: wire.Address) -> asyncio.AbstractServer:
    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await Connection(service, reader, writer).serve()

    if address.path is None:
        secret = service.settings.speech_secret.get_secret_value()

        async def on_tcp_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await handshake.challenge(reader, writer, secret)
            except (
                handshake.Refused,
                wire.ProtocolError,
                asyncio.IncompleteReadError,
                ConnectionError,
            ) as exc:
                why = "it closed the connection" if isinstance(exc, EOFError) else exc
                peer = writer.get_extra_info("peername")
                log.warning("refused a speech connection from %s: %s", peer, why)
                writer.close()
                return
            await on_client(reader, writer)

        return await asyncio.start_server(on_tcp_client, address.host, address.port, limit=2**20)
    path = address.path
    if path.exists() or path.is_symlink():
        if _someone_listens(path):
            raise SiteSpeakError(
                f"another speech process listens on {path}; stop it or set SITESPEAK_SPEECH_SOCKET"
            )
        path.unlink()  # left by a process that died: nobody answers on it
    path.parent.mkdir(parents=True, exist_ok=True)
    old = os.umask(0o007)  # web processes of the same user or group may connect; others not
    try:
        return await asyncio.start_unix_server(on_client, str(path), limit=2**20)
    finally:
        os.umask(old)


def _someone_listens(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


def notify_systemd(state: str) -> None:
    """sd_notify without libsystemd: the unit is Type=notify, so the web (ordered after it)
    starts once the models are loaded and the socket listens. No-op outside systemd."""
    target = os.environ.get("NOTIFY_SOCKET", "")
    if not target:
        return
    if target.startswith("@"):  # an abstract socket
        target = "\0" + target[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(target)
            sock.sendall(state.encode())
    except OSError as exc:
        log.warning("could not notify systemd (%s): %s", state, exc)


async def serve(settings: Settings, models_factory: Any = SpeechModels) -> None:
    address = wire.parse_address(settings.speech_socket, settings.state_dir)
    if address.path is None and not settings.speech_secret.get_secret_value():
        # Any local user (or any machine, beyond loopback) could use the models otherwise.
        raise SettingsError(
            f"SITESPEAK_SPEECH_SOCKET is {address} (TCP): set SITESPEAK_SPEECH_SECRET too, the "
            "same in every process of the box (or leave the socket empty for a Unix socket)"
        )
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def on_signal() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    models_task = loop.run_in_executor(None, models_factory, settings)
    await asyncio.wait((models_task, stop), return_when=asyncio.FIRST_COMPLETED)
    if stop.done():
        return
    service = SpeechService(settings, models_task.result())
    restored = await loop.run_in_executor(None, service.restore_prepared)
    log.info("%d prepared phrases restored", restored)
    service.scheduler.start()
    server = await _listen(service, address)
    log.info("speech process serving on %s (%d slots)", address, service.scheduler.slots)
    print(f"sitespeak speech: listening on {address}", flush=True)
    notify_systemd("READY=1")
    try:
        await stop
    finally:
        notify_systemd("STOPPING=1")
        server.close()
        await service.scheduler.close()
        if address.path is not None:
            with contextlib.suppress(OSError):
                address.path.unlink()
        log.info("speech process stopped")


def run_speech(settings: Settings, embedder: Callable[[Settings], TextEmbedder | None]) -> int:
    """``embedder``: the query embedder for ``embed`` calls (None: this box has none)."""
    limit_malloc_arenas()
    asyncio.run(serve(settings, functools.partial(SpeechModels, embedder=embedder)))
    return 0
