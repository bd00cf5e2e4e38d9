"""The driver's side of the Pipecat comparison: start bench/_pipecat_pipeline.py with the bench
virtualenv's Python, and speak to it with the same paced client as to SiteSpeak.

Pipecat's browser clients speak protobuf (pipecat/frames/frames.proto); the two messages needed
here are written by hand so that the driver (the application's virtualenv, protobuf 7) does not
import Pipecat (its own virtualenv, protobuf < 7):
    Frame { oneof frame { TextFrame text = 1; AudioRawFrame audio = 2; ... } }
    AudioRawFrame { uint64 id = 1; string name = 2; bytes audio = 3; uint32 sample_rate = 4;
                    uint32 num_channels = 5; optional uint64 pts = 6; }
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import httpx
from _paced import (
    FIRST_AUDIO,
    QUESTIONS,
    Utterance,
    aligned_starts,
    load,
    row,
    rss_line,
    send_paced,
    utterance,
)
from websockets.asyncio.client import connect

from tests.support.processes import free_port

AUDIO_FIELD = 2  # Frame.audio
QUIET_S = 1.0  # no answer audio for this long: the answer is over


def pipecat_python(root: Path) -> Path | None:
    python = root / ".venv-bench" / "bin" / "python"
    return python if python.exists() else None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def audio_frame(pcm: bytes) -> bytes:
    inner = _field(3, pcm) + _varint(4 << 3) + _varint(16000) + _varint(5 << 3) + _varint(1)
    return _field(AUDIO_FIELD, inner)


def is_audio(message: bytes | str) -> bool:
    return isinstance(message, bytes) and message[:1] == bytes([AUDIO_FIELD << 3 | 2])


class PipecatServer:
    def __init__(self, python: Path, tmp: Path) -> None:
        self.python, self.log = python, tmp / "pipecat.log"
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> PipecatServer:
        script = Path(__file__).with_name("_pipecat_pipeline.py")
        self.proc = subprocess.Popen(
            [str(self.python), str(script), "--port", str(self.port)],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Pipecat exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"Pipecat not ready:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Listener:
    """Reads a session's messages; notes when answer audio arrives."""

    def __init__(self, ws) -> None:
        self.ws, self.last_audio, self.audio_times = ws, 0.0, []
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if is_audio(message):
                now = time.perf_counter()
                self.audio_times.append(now)
                self.last_audio = now

    async def first_audio_after(self, moment: float, timeout: float = 60) -> float | None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            after = [t for t in self.audio_times if t > moment]
            if after:
                return after[0]
            await asyncio.sleep(0.005)
        return None

    async def quiet(self) -> None:
        while time.perf_counter() - self.last_audio < QUIET_S:
            await asyncio.sleep(0.05)


async def _turn(ws, listener: Listener, utt: Utterance, start: float, out: dict) -> None:
    sent = time.perf_counter()
    eos_at = await send_paced(lambda pcm: ws.send(audio_frame(pcm)), utt, start)
    early = [t for t in listener.audio_times if sent < t < eos_at]
    if early:  # Pipecat's VAD ended the turn inside the question
        out["errors"].append("answer audio before the speech ended")
    first = await listener.first_audio_after(eos_at)
    if first is None:
        out["errors"].append("no answer audio within 60 s")
    else:
        out[FIRST_AUDIO].append((first - eos_at) * 1000)
        await listener.quiet()
    out["eos"].append(eos_at)


async def _session(url: str):
    ws = await connect(url, max_size=8 * 1024 * 1024)
    return ws, Listener(ws)


async def run_pipecat(args, server: PipecatServer) -> dict:
    utts = [utterance(q) for q in QUESTIONS]
    procs = {"pipecat": server.proc.pid}
    ws, listener = await _session(server.url)  # a warm-up turn: models loaded, caches filled
    out: dict = defaultdict(list)
    await _turn(ws, listener, utts[0], time.perf_counter() + 0.05, out)
    await ws.close()
    results = {}

    solo: dict = defaultdict(list)
    ws, listener = await _session(server.url)
    for i in range(args.questions):
        await _turn(ws, listener, utts[i % len(utts)], time.perf_counter() + 0.05, solo)
        await asyncio.sleep(0.5)
    await ws.close()
    results["solo"] = list(solo[FIRST_AUDIO])
    _report(f"Pipecat, 1 visitor x {args.questions} questions", solo, procs)

    group: dict = defaultdict(list)
    mine = [utts[i % len(utts)] for i in range(args.visitors)]
    sessions = await asyncio.gather(*(_session(server.url) for _ in mine))
    for _ in range(args.rounds):
        starts = aligned_starts(mine, time.perf_counter() + 0.2)
        first = len(group["eos"])
        await asyncio.gather(
            *(
                _turn(ws, lis, u, t, group)
                for (ws, lis), u, t in zip(sessions, mine, starts, strict=True)
            )
        )
        ends = group["eos"][first:]
        group["spread of the speech ends"].append((max(ends) - min(ends)) * 1000)
        await asyncio.sleep(1.0)
    await asyncio.gather(*(ws.close() for ws, _ in sessions))
    results["together"] = list(group[FIRST_AUDIO])
    _report(
        f"Pipecat, {args.visitors} visitors ending together x {args.rounds} rounds", group, procs
    )
    return results


def _report(title: str, out: dict, procs: dict[str, int]) -> None:
    print(f"{title} -- {load()}")
    print(
        row(
            FIRST_AUDIO,
            out[FIRST_AUDIO],
        )
    )
    if out.get("spread of the speech ends"):
        print(row("spread of the speech ends", out["spread of the speech ends"]))
    errors = out.get("errors", [])
    if errors:
        print(f"  errors: {dict((e, errors.count(e)) for e in sorted(set(errors)))}")
    print(rss_line(procs))
