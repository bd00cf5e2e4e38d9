"""The speech process alone (PROCESS_TYPE=speech, no web): what a web process's SpeechClient sees
over the socket. One question at a time; ten arriving at once (batched by the scheduler); a
first phrase submitted behind ten later sentences (priority); the phrase cache; the process's
RSS. Prints p50/p95/max with the load average.

    python bench/speech_process.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from _paced import load, row, rss_mb
from _stack import ROOT  # noqa: F401 - puts the repository on sys.path

from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient
from sitespeak.voice.speech_api import PRIORITY_FIRST, PRIORITY_LATER
from tests.support.processes import start_speech
from tests.voice.speech import VISITOR_QUESTIONS, spoken

SENTENCE = "Our bakery on Harbour Street is open from seven in the morning until six at night."


async def ms(call) -> float:
    start = time.perf_counter()
    await call
    return (time.perf_counter() - start) * 1000


async def measure(client: SpeechClient, clips: list[bytes], rounds: int) -> None:
    await client.ready()
    solo = [await ms(client.transcribe(clip)) for _ in range(rounds) for clip in clips[:10]]
    print(row("transcribe, one at a time", solo))
    together: list[float] = []
    for n in range(rounds):
        batch = clips[n * 10 % len(clips) :][:10]
        together += await asyncio.gather(*(ms(client.transcribe(c)) for c in batch))
    print(row("transcribe, ten arriving at once", together))
    first, later = [], []
    for n in range(rounds):
        tail = [
            asyncio.ensure_future(ms(client.synthesize(f"{SENTENCE} ({n}.{k})"))) for k in range(6)
        ]
        await asyncio.sleep(0.01)
        first.append(await ms(client.synthesize(f"Sure, round {n}.", priority=PRIORITY_FIRST)))
        later += await asyncio.gather(*tail)
    print(row("first phrase behind six sentences", first))
    print(row("the six later sentences", later))
    cached = [await ms(client.synthesize(SENTENCE, priority=PRIORITY_LATER)) for _ in range(5)]
    print(row("a cached sentence", cached[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    clips = [spoken(q, "piper", 200, 300) for q in VISITOR_QUESTIONS]
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SITESPEAK_STATE_DIR": tmp, "SITESPEAK_ENV_FILE": ""}
        env["SITESPEAK_LOG_LEVEL"] = "warning"
        proc = start_speech(env, Path(tmp))
        try:
            print(f"speech process, RSS after load {rss_mb(proc.popen.pid):.0f} MB -- {load()}")
            client = SpeechClient(Settings(state_dir=Path(tmp)))
            asyncio.run(measure(client, clips, args.rounds))
            print(f"RSS after the runs {rss_mb(proc.popen.pid):.0f} MB -- {load()}")
        finally:
            proc.stop()


if __name__ == "__main__":
    main()
