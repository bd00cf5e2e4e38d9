"""Voice benchmark with the OpenAI providers against the zero-delay fake OpenAI server: our own
overhead from end of speech to first answer audio out, at N concurrent sessions, over raw
WebSocket (/voice-ws) and over Socket.IO, and their ratio.

Each session connects, then (spread over a window) takes one spoken push-to-talk turn (audio
sent fast, then input.commit: the end of speech is known exactly) and one text turn. Printed:
p50/p95/p99 of the server's eos_to_first_audio_ms (our pipeline, provider calls included —
the fake answers at once), of the same as the client sees it, and the server stages. Then
the same number of text turns over each transport, Socket.IO and raw WebSocket sessions
interleaved in one window, and the ratio of their client-side p50 and p95.

Goal (issue 5): p95 of our overhead <= 15 ms at 200 concurrent sessions.
Run: .venv/bin/python bench/voice_providers.py [--sessions 200] [--window 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]  # bench/http.py
sys.path.insert(0, str(_HERE.parent))

from bench._stack import bench_services, env_for, percentile  # noqa: E402
from sitespeak.db.connection import database  # noqa: E402
from sitespeak.db.models import Site  # noqa: E402
from sitespeak.sites import create_site  # noqa: E402
from sitespeak.tenancy.tenants import create_tenant  # noqa: E402
from tests.providers.test_socketio import sio_visitor, start  # noqa: E402
from tests.support.fake_openai import serve_fake_openai  # noqa: E402
from tests.support.processes import start_speech, start_web  # noqa: E402
from tests.voice.client import FRAME, open_session, until_done  # noqa: E402
from tests.voice.indexing import index_site  # noqa: E402
from tests.voice.speech import speech  # noqa: E402
from tests.voice.testsite import serve_site  # noqa: E402

QUESTION = "Where is your shop?"
OUT = {"sample_rate": 16000, "frame_ms": 20}
STAGES = (
    "eos_to_started_ms",
    "stt_ms",
    "retrieval_ms",
    "answer_first_token_ms",
    "tts_first_audio_ms",
    "eos_to_first_audio_ms",
)


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<32} (no samples)"
    return (
        f"  {name:<32} n={len(values):<4} p50={percentile(values, 50):7.1f}  "
        f"p95={percentile(values, 95):7.1f}  p99={percentile(values, 99):7.1f} ms"
    )


async def ws_session(url: str, origin: str, key: str, delay: float, out: dict) -> None:
    ws, _ = await open_session(url, origin, key, output_format=OUT)
    try:
        await asyncio.sleep(delay)
        pcm = speech(QUESTION, 100, 0)
        for index in range(0, len(pcm), FRAME):
            await ws.send(pcm[index : index + FRAME])
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.commit"}))
        turn = await until_done(ws, 120, stop_after_audio=1)
        out["client_spoken"].append((turn.first_audio_at - sent) * 1000)
        done = await until_done(ws, 120)
        _stages(out, "spoken", done.done["timings"])
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.text", "text": QUESTION}))
        turn = await until_done(ws, 120, stop_after_audio=1)
        out["client_text"].append((turn.first_audio_at - sent) * 1000)
        _stages(out, "text", (await until_done(ws, 120)).done["timings"])
    except Exception as exc:  # noqa: BLE001 - count it, keep the others going
        out["errors"].append(f"{type(exc).__name__}: {exc}"[:120])
    finally:
        await ws.close()


async def ws_text_session(url: str, origin: str, key: str, delay: float, out: dict) -> None:
    """The Socket.IO phase's workload over raw WebSocket, for a like-for-like ratio."""
    ws, _ = await open_session(url, origin, key, output_format=OUT)
    try:
        await asyncio.sleep(delay)
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.text", "text": QUESTION}))
        turn = await until_done(ws, 120, stop_after_audio=1)
        out["client_text"].append((turn.first_audio_at - sent) * 1000)
        _stages(out, "text", (await until_done(ws, 120)).done["timings"])
    except Exception as exc:  # noqa: BLE001
        out["errors"].append(f"{type(exc).__name__}: {exc}"[:120])
    finally:
        await ws.close()


async def sio_session(url: str, origin: str, key: str, delay: float, out: dict) -> None:
    visitor = await sio_visitor(url, origin)
    try:
        await start(visitor, key, origin, output_format=OUT)
        await asyncio.sleep(delay)
        sent = time.perf_counter()
        audio_before = visitor.audio_events
        await visitor.client.emit("input.text", {"text": QUESTION})
        # Woken by the audio handler, stamped on arrival: a 1 ms polling loop in each of 200
        # sessions took the client's CPU from the sessions it measured.
        while visitor.audio_events == audio_before:
            visitor.arrived.clear()
            await asyncio.wait_for(visitor.arrived.wait(), 120)
        out["client_text"].append((visitor.audio_at[audio_before] - sent) * 1000)
        done = await visitor.wait_for("response.done", 1, 120)
        _stages(out, "text", done["timings"])
    except Exception as exc:  # noqa: BLE001
        out["errors"].append(f"{type(exc).__name__}: {exc}"[:120])
    finally:
        await visitor.client.disconnect()


def _stages(out: dict, mode: str, timings: dict) -> None:
    for name in STAGES:
        if name in timings:
            out[f"{mode}:{name}"].append(timings[name])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def report(title: str, out: dict) -> None:
    print(f"{title} -- {load()}", flush=True)
    for name in ("client_spoken", "client_text"):
        print(row(name + " (send→first audio)", out[name]))
    for key in sorted(k for k in out if ":" in k):
        print(row(key, out[key]))
    if out["errors"]:
        print(f"  errors: {len(out['errors'])}, e.g. {out['errors'][0]}")


async def run(args, url: str, origin: str, key: str) -> None:
    spoken: dict = defaultdict(list)
    await asyncio.gather(
        *(
            ws_session(url, origin, key, random.uniform(0.5, args.window), spoken)
            for _ in range(args.sessions)
        )
    )
    window = f"{args.sessions} concurrent sessions, one turn each every ~{args.window:g}s window"
    report(f"raw WebSocket /voice-ws: {window}", spoken)
    # The two transports' text turns at once, each session's kind drawn in turn: both see the
    # same box at the same moments (run one after the other, the ratio was the load's).
    sio: dict = defaultdict(list)
    ws: dict = defaultdict(list)
    kinds = [(sio_session, sio), (ws_text_session, ws)]
    await asyncio.gather(
        *(
            kinds[n % 2][0](url, origin, key, random.uniform(0.5, args.window), kinds[n % 2][1])
            for n in range(2 * args.sessions)
        )
    )
    report(f"Socket.IO (text turns), interleaved with raw WebSocket: {window}", sio)
    report(f"raw WebSocket (text turns), interleaved with Socket.IO: {window}", ws)
    for name, q in (("p50", 50), ("p95", 95)):
        sio_q, ws_q = percentile(sio["client_text"], q), percentile(ws["client_text"], q)
        print(
            f"Socket.IO / WebSocket, client text turn send→first audio {name}: "
            f"{sio_q:.1f} / {ws_q:.1f} ms = {sio_q / ws_q:.2f}x (goal <= 1.3x) -- {load()}"
        )
    ours = spoken["spoken:eos_to_first_audio_ms"]
    print(
        f"Our overhead, end of speech → first answer audio out (spoken, server), p95: "
        f"{percentile(ours, 95):.1f} ms (goal ≤ 15 ms) -- {load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument(
        "--window",
        type=float,
        default=10.0,
        help="seconds over which the sessions' turns are spread",
    )
    parser.add_argument(
        "--speech",
        choices=["yes", "no"],
        default="yes",
        help="no: no speech process (the query vectors' outage path)",
    )
    args = parser.parse_args()
    with bench_services() as (found, tmp), serve_site() as site_url, serve_fake_openai() as fake:
        env = env_for(
            found,
            tmp,
            SITESPEAK_OPENAI_BASE_URL=fake.url,
            SITESPEAK_OPENAI_API_KEY="sk-bench",
            SITESPEAK_VOICE_PRELOAD="false",
            SITESPEAK_VOICE_PARTIAL_INTERVAL_MS="0",
            SITESPEAK_VOICE_TURNS_PER_MINUTE="1000",
            SITESPEAK_VOICE_IP_TURNS_PER_MINUTE="100000",
            SITESPEAK_VOICE_SESSIONS_PER_ADDRESS="10000",  # every visitor here is 127.0.0.1
            SITESPEAK_OPENAI_FIRST_TOKEN_BUDGET="10",
        )
        with database.connection_context():
            tenant, _ = create_tenant("Bench")
            site = create_site(tenant.id, "Bakery", [site_url], allow_private=True, privileged=True)
            Site.update(
                options={"providers": {"stt": "openai", "answerer": "openai", "tts": "openai"}}
            ).where(Site.id == site.id).execute()
        index_site(env, site.id, site.name, tenant.name, tmp)
        # The questions' vectors come from the speech process (SITESPEAK_EMBEDDER=local):
        # without one every turn takes the outage path (a reconnect attempt, keywords alone).
        speech_proc = start_speech(env, tmp) if args.speech == "yes" else None
        web = start_web(env, tmp, 120)
        try:
            fake.transcript = QUESTION
            asyncio.run(run(args, web.url, site_url, site.key))
        finally:
            web.stop()
            if speech_proc is not None:
                speech_proc.stop()


if __name__ == "__main__":
    main()
