"""Voice benchmark against one real web process (Granian, models loaded once), with the bakery
test site indexed. Prints p50/p95/p99 of:

- spoken turns: N concurrent visitors stream piper-generated questions in real time; end of
  speech (the client's last voiced frame) -> response.started and -> first answer audio, as the
  client sees them (the VAD hangover included), and each server stage from response.done;
- text turns: M connected sessions each ask one question, spread over a window;
- idle sessions: RSS of the web process per connected, idle session.

Goals (issue 4): response.started p95 <= 300 ms with 10 speakers; first answer audio p95 <=
300 ms for text turns at 100 sessions; 1,000 idle sessions under 300 MB RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from collections import defaultdict

import psutil
from _stack import bench_services, env_for, percentile

from sitespeak.db.connection import database
from sitespeak.sites import create_site
from sitespeak.tenancy.tenants import create_tenant
from tests.support.processes import start_web
from tests.voice.client import FRAME, open_session, until_done
from tests.voice.indexing import index_site
from tests.voice.speech import speech
from tests.voice.testsite import serve_site

QUESTIONS = [
    "What time do you open on Sunday?",
    "What is your phone number?",
    "What is your address?",
    "Who founded the bakery?",
    "When do you close on Saturday?",
]
LEAD, TAIL = 300, 800  # ms of silence around each generated question


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<34} (no samples)"
    return (
        f"  {name:<34} n={len(values):<4} p50={percentile(values, 50):7.1f}  "
        f"p95={percentile(values, 95):7.1f}  p99={percentile(values, 99):7.1f} ms"
    )


async def spoken_visitor(url: str, origin: str, key: str, turns: int, out: dict) -> None:
    ws, _ = await open_session(url, origin, key, output_format={"sample_rate": 22050})
    try:
        for n in range(turns):
            pcm = speech(QUESTIONS[n % len(QUESTIONS)], LEAD, TAIL)
            speech_end = len(pcm) - TAIL * 32  # bytes up to the last voiced sample
            reader = asyncio.ensure_future(until_done(ws, 120))
            start = time.perf_counter()
            eos_at = None
            for i in range(0, len(pcm), FRAME):
                await ws.send(pcm[i : i + FRAME])
                if eos_at is None and i + FRAME >= speech_end:
                    eos_at = time.perf_counter()
                await asyncio.sleep(max(start + (i + FRAME) / 32000 - time.perf_counter(), 0))
            turn = await reader
            _record(out, turn, eos_at)
            await asyncio.sleep(random.uniform(0.2, 0.8))
    finally:
        await ws.close()


async def text_visitor(url: str, origin: str, key: str, delay: float, out: dict) -> None:
    ws, _ = await open_session(url, origin, key)
    try:
        await asyncio.sleep(delay)
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.text", "text": random.choice(QUESTIONS)}))
        _record(out, await until_done(ws, 180), sent)
    finally:
        await ws.close()


def _record(out: dict, turn, origin: float) -> None:
    started = turn.of("response.started")
    if started:
        out["eos_to_started"].append((started[0]["_at"] - origin) * 1000)
    if turn.first_audio_at:
        out["eos_to_first_audio"].append((turn.first_audio_at - origin) * 1000)
    done = turn.of("response.done")
    for name, ms in (done[0]["timings"] if done else {}).items():
        out["server " + name].append(ms)
    out["errors"].extend(e["code"] for e in turn.of("error"))


async def barge_in_visitor(url: str, origin: str, key: str, out: dict) -> None:
    """Cancel an answer after its first audio: time to response.done and audio after cancel."""
    ws, _ = await open_session(url, origin, key)
    try:
        await ws.send(json.dumps({"type": "input.text", "text": "What are your opening hours?"}))
        await until_done(ws, 120, stop_after_audio=2)
        cancelled = time.perf_counter()
        await ws.send(json.dumps({"type": "response.cancel"}))
        late = await until_done(ws, 30)
        out["cancel -> response.done"].append((late.done["_at"] - cancelled) * 1000)
        out["audio frames after cancel"].append(late.audio_frames)
    finally:
        await ws.close()


def rss(pid: int) -> int:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


async def idle_sessions(url: str, origin: str, key: str, count: int, pid: int) -> None:
    before = rss(pid)
    sockets = []
    for start in range(0, count, 50):
        opened = await asyncio.gather(
            *(open_session(url, origin, key) for _ in range(min(50, count - start)))
        )
        sockets += [ws for ws, _ in opened]
    await asyncio.sleep(2)
    after = rss(pid)
    print(
        f"idle sessions: {len(sockets)} open; web RSS {before / 2**20:.0f} MB -> "
        f"{after / 2**20:.0f} MB; {(after - before) / max(len(sockets), 1) / 1024:.1f} KB "
        f"per session (goal: total under 300 MB at 1,000)"
    )
    await asyncio.gather(*(ws.close() for ws in sockets))


def report(title: str, out: dict) -> None:
    print(title)
    print(row("end of speech -> response.started", out.pop("eos_to_started", [])))
    print(row("end of speech -> first answer audio", out.pop("eos_to_first_audio", [])))
    errors = out.pop("errors", [])
    for name in sorted(out):
        print(row(name, out[name]))
    if errors:
        print(f"  errors: {dict((e, errors.count(e)) for e in set(errors))}")


async def run(args, url: str, origin: str, key: str, pid: int) -> None:
    for q in QUESTIONS:  # generate the test speech before the clock starts
        speech(q, LEAD, TAIL)
    ws, _ = await open_session(url, origin, key)  # waits for the models to load
    await ws.send(json.dumps({"type": "input.text", "text": QUESTIONS[0]}))
    await until_done(ws, 180)
    await ws.close()
    spoken: dict = defaultdict(list)
    began = time.perf_counter()
    await asyncio.gather(
        *(spoken_visitor(url, origin, key, args.turns, spoken) for _ in range(args.speakers))
    )
    report(
        f"spoken turns: {args.speakers} concurrent speakers x {args.turns} turns "
        f"({time.perf_counter() - began:.0f} s)",
        spoken,
    )
    text: dict = defaultdict(list)
    await asyncio.gather(
        *(
            text_visitor(url, origin, key, random.uniform(0, args.window), text)
            for _ in range(args.text_sessions)
        )
    )
    report(
        f"text turns: {args.text_sessions} sessions, one question each over {args.window:g} s", text
    )
    barge: dict = defaultdict(list)
    await asyncio.gather(
        *(barge_in_visitor(url, origin, key, barge) for _ in range(args.barge_ins))
    )
    if args.barge_ins:
        print(f"barge-in: {args.barge_ins} sessions cancel an answer after 2 audio frames")
        print(row("cancel -> response.done", barge["cancel -> response.done"]))
        frames = barge["audio frames after cancel"]
        print(
            f"  audio frames after cancel (40 ms each, the paced lead): max {max(frames)}, "
            f"mean {sum(frames) / len(frames):.1f}"
        )
    if args.idle:
        await idle_sessions(url, origin, key, args.idle, pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speakers", type=int, default=10)
    parser.add_argument("--turns", type=int, default=3, help="spoken turns per speaker")
    parser.add_argument("--text-sessions", type=int, default=100)
    parser.add_argument(
        "--window", type=float, default=20.0, help="seconds over which the text sessions ask"
    )
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--barge-ins", type=int, default=10)
    parser.add_argument("--partials-ms", default="800", help="SITESPEAK_VOICE_PARTIAL_INTERVAL_MS")
    parser.add_argument("--threads", default="2", help="SITESPEAK_VOICE_INFERENCE_THREADS")
    parser.add_argument("--stt-threads", default="2", help="SITESPEAK_VOICE_STT_THREADS")
    args = parser.parse_args()
    with bench_services() as (found, tmp), serve_site() as site_url:
        env = env_for(
            found,
            tmp,
            SITESPEAK_VOICE_TURNS_PER_MINUTE="1000",
            SITESPEAK_VOICE_IP_TURNS_PER_MINUTE="100000",
            SITESPEAK_VOICE_PARTIAL_INTERVAL_MS=args.partials_ms,
            SITESPEAK_VOICE_INFERENCE_THREADS=args.threads,
            SITESPEAK_VOICE_STT_THREADS=args.stt_threads,
            SITESPEAK_DB_POOL_SIZE="20",
        )
        with database.connection_context():
            tenant, _ = create_tenant("Bench")
            site = create_site(tenant.id, "Bakery", [site_url], allow_private=True, privileged=True)
        index_site(env, site.id, site.name, tenant.name, tmp)
        web = start_web(env, tmp, 120)
        try:
            time.sleep(1)
            print(
                f"web pid {web.popen.pid}; knobs: partials every {args.partials_ms} ms, "
                f"{args.threads} inference threads x {args.stt_threads} per Whisper call, "
                f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.1f}"
            )
            asyncio.run(run(args, web.url, site_url, site.key, web.popen.pid))
        finally:
            web.stop()


if __name__ == "__main__":
    main()
