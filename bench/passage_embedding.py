"""Where should a site's passages be embedded: in the worker (its own MiniLM, today) or by the
speech process at background priority (the model it already holds for visitors' questions)?

Each round embeds the same passages (paragraphs of this repository's docs, ~900 characters,
what the chunker makes) both ways, in batches of SITESPEAK_EMBED_BATCH_SIZE:
- local: a fresh Python process, as the worker's embedding job does (LocalEmbedder);
- speech: ``embed`` calls at PRIORITY_BACKGROUND to a real speech process, one batch at a time;
and, alongside, a visitor's question is embedded by the speech process every 50 ms (the
real-time call a web process makes per turn) and timed; a quiet phase with no bulk work is the
baseline. Arms interleave round by round. Prints the bulk's wall time, the question's latency
per phase (p50/p95) and the RSS of both processes (MB) with the load average.

    /work/tools/py bench/passage_embedding.py [--passages 320] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _paced import load, row, rss_mb
from _stack import ROOT

from sitespeak.errors import SpeechUnavailable
from sitespeak.settings import Settings
from sitespeak.speech.client import EMBED_TIMEOUT, SpeechClient
from sitespeak.voice.speech_api import PRIORITY_BACKGROUND
from tests.support.processes import start_speech

QUESTION = "What time do you open on Sunday?"
GAVE_UP: dict[str, int] = {}
LOCAL = """
import json, sys, time
import psutil
def rss_mb(_):
    return psutil.Process().memory_info().rss / 2**20
texts, batch = json.load(sys.stdin), int(sys.argv[1])
before = rss_mb(0)
from sitespeak.knowledge.embedders import LocalEmbedder
embedder = LocalEmbedder()
loaded = rss_mb(0)
began = time.perf_counter()
for start in range(0, len(texts), batch):
    embedder.embed(texts[start : start + batch])
took = time.perf_counter() - began
print(json.dumps({"before": before, "loaded": loaded, "after": rss_mb(0), "s": took}))
"""


def passages(count: int) -> list[str]:
    """Paragraphs of the docs, cut or joined to ~900 characters; repeated with a number when
    the docs run out (the embedder's cost depends on the length, not the words)."""
    paragraphs = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        paragraphs += [p.strip() for p in path.read_text().split("\n\n") if len(p.strip()) > 200]
    out, current = [], ""
    for paragraph in paragraphs:
        current = f"{current} {paragraph}".strip()
        if len(current) >= 900:
            out.append(current[:900])
            current = ""
    return [f"{out[i % len(out)]} ({i})" for i in range(count)]


async def probe(client: SpeechClient, stop: asyncio.Event, out: list[float], phase: str) -> None:
    """A question every 50 ms; one that gives up (EMBED_TIMEOUT: the web then searches by
    keywords alone) counts as the timeout."""
    while not stop.is_set():
        began = time.perf_counter()
        try:
            await client.embed([QUESTION])
        except SpeechUnavailable:
            GAVE_UP[phase] = GAVE_UP.get(phase, 0) + 1
        out.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.05)


async def with_probe(client: SpeechClient, work, out: list[float], phase: str) -> float:
    """Runs ``work`` (a coroutine) with the visitor's probe alongside; its wall time in s."""
    stop = asyncio.Event()
    prober = asyncio.ensure_future(probe(client, stop, out, phase))
    began = time.perf_counter()
    try:
        await work
    finally:
        took = time.perf_counter() - began
        stop.set()
        await prober
    return took


async def by_speech(client: SpeechClient, texts: list[str], batch: int) -> None:
    for start in range(0, len(texts), batch):
        await client.embed(texts[start : start + batch], priority=PRIORITY_BACKGROUND, timeout=600)


async def run_local(texts: list[str], batch: int) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LOCAL,
        str(batch),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT / "bench",
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}", "PATH": "/usr/bin:/bin"},
    )
    out, _ = await proc.communicate(json.dumps(texts).encode())
    return dict(json.loads(out))


async def main_async(args) -> None:
    texts = passages(args.passages)
    batch = Settings().embed_batch_size
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "SITESPEAK_STATE_DIR": tmp,
            "SITESPEAK_ENV_FILE": "",
            "SITESPEAK_LOG_LEVEL": "warning",
            "SITESPEAK_EMBEDDER": "local",
        }
        speech = start_speech(env, Path(tmp))
        client = SpeechClient(Settings(state_dir=Path(tmp), speech_timeout=600))
        pid = speech.popen.pid
        try:
            await client.ready()
            print(f"{len(texts)} passages of ~900 chars, batches of {batch}; {load()}")
            probes: dict[str, list[float]] = {"quiet": [], "local": [], "speech": []}
            walls: dict[str, list[float]] = {"local": [], "speech": []}
            speech_rss = [rss_mb(pid)]
            local_rss = []
            for number in range(args.rounds):
                await with_probe(client, asyncio.sleep(3), probes["quiet"], "quiet")
                local: dict = {}

                async def local_arm(local: dict = local) -> None:
                    local.update(await run_local(texts, batch))

                await with_probe(client, local_arm(), probes["local"], "local")
                walls["local"].append(local["s"])
                local_rss.append(local)
                bulk = by_speech(client, texts, batch)
                walls["speech"].append(await with_probe(client, bulk, probes["speech"], "speech"))
                await asyncio.sleep(1)  # the queue empties: the speech process trims
                speech_rss.append(rss_mb(pid))
                for phase, values in probes.items():  # so far: a long run is seen as it goes
                    print(row(f"a visitor's question embed, {phase}", values))
                print(
                    f"round {number + 1}: local {local['s']:.1f} s (worker-like process "
                    f"{local['before']:.0f} -> {local['loaded']:.0f} loaded -> "
                    f"{local['after']:.0f} MB), speech {walls['speech'][-1]:.1f} s (speech "
                    f"process {speech_rss[-2]:.0f} -> {speech_rss[-1]:.0f} MB); {load()}",
                    flush=True,
                )
            print(f"summary over {args.rounds} rounds -- {load()}")
            for name, values in walls.items():
                print(f"  bulk by {name:<6}: median {statistics.median(values):.1f} s")
            for name, values in probes.items():
                print(row(f"a visitor's question embed, {name}", values))
            print(f"  questions that gave up after {EMBED_TIMEOUT:g} s, per phase: {GAVE_UP}")
            print(
                f"  RSS MB: worker-like process before {local_rss[0]['before']:.0f}, after "
                f"{max(r['after'] for r in local_rss):.0f}; speech process "
                f"{' -> '.join(f'{mb:.0f}' for mb in speech_rss)}"
            )
        finally:
            client.close()
            speech.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=320)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
