"""How the speech process's RSS grows under batches: a speech process per variant (settings
passed as environment), rounds of N spoken questions sent at once (one batched decode each)
followed by N distinct sentences to synthesize, and its RSS after loading and after each round,
with the time each round's batch of transcriptions took. All variants' processes run side by
side and their rounds interleave, so the box's load falls on each alike.

    /work/tools/py bench/speech_memory.py [--rounds 6] [--together 10]
        [--variant name:KEY=VALUE,KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from _paced import load, rss_mb
from _stack import ROOT  # noqa: F401 - puts the repository on sys.path

from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient
from tests.support.processes import start_speech
from tests.voice.speech import VISITOR_QUESTIONS, spoken

SENTENCES = [
    "Our bakery on Harbour Street is open from seven in the morning until six at night.",
    "You can order a birthday cake two days ahead by phone or at the counter.",
    "We deliver within five kilometres for a small fee, every day except Sunday.",
    "Parking is free behind the shop for customers, for up to one hour.",
]
DEFAULT_VARIANTS = ["no-trim:SITESPEAK_SPEECH_TRIM_MEMORY=false", "trim:"]


class Variant:
    """One speech process with its settings, its RSS after load and after each round, and
    how long each round's batch of transcriptions took (a cost the settings may add)."""

    def __init__(self, name: str, env: dict[str, str], tmp: Path) -> None:
        # The phrase cache off: its growth is bounded by design (SITESPEAK_VOICE_TTS_CACHE_MB).
        full = {
            "SITESPEAK_STATE_DIR": str(tmp),
            "SITESPEAK_ENV_FILE": "",
            "SITESPEAK_LOG_LEVEL": "warning",
            "SITESPEAK_VOICE_TTS_CACHE_MB": "0",
            **env,
        }
        self.name = name
        self.proc = start_speech(full, tmp)
        # A round of syntheses on a loaded box takes longer than a visitor would wait.
        self.client = SpeechClient(Settings(state_dir=tmp, speech_timeout=600))
        self.sizes = [rss_mb(self.proc.popen.pid)]
        self.batch_ms: list[float] = []

    async def round(self, n: int, clips: list[bytes], together: int) -> None:
        batch = [clips[(n * together + i) % len(clips)] for i in range(together)]
        began = time.perf_counter()
        await asyncio.gather(*(self.client.transcribe(clip) for clip in batch))
        self.batch_ms.append((time.perf_counter() - began) * 1000)
        texts = [f"{SENTENCES[(n + i) % len(SENTENCES)]} Round {n}, {i}." for i in range(together)]
        await asyncio.gather(*(self.client.synthesize(text) for text in texts))
        await asyncio.sleep(0.5)  # the queue is empty: what the process keeps between turns
        self.sizes.append(rss_mb(self.proc.popen.pid))

    def report(self, together: int) -> None:
        steps = " ".join(f"{mb:.0f}" for mb in self.sizes)
        print(
            f"{self.name:<10} RSS MB after load, then after each round of {together}: {steps}; "
            f"growth {self.sizes[-1] - self.sizes[0]:+.0f} MB; {together} transcriptions at "
            f"once: median {statistics.median(self.batch_ms):.0f} ms, max "
            f"{max(self.batch_ms):.0f} ms"
        )

    def close(self) -> None:
        self.client.close()
        self.proc.stop()


async def interleaved(variants: list[Variant], clips: list[bytes], args) -> None:
    """Round n of every variant before round n + 1 of any: the box's load falls on all alike."""
    for variant in variants:
        await variant.client.ready()
    for n in range(args.rounds):
        for variant in variants:
            await variant.round(n, clips, args.together)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--together", type=int, default=10)
    parser.add_argument("--variant", action="append", help="name:KEY=VALUE,KEY=VALUE")
    args = parser.parse_args()
    clips = [spoken(q, "piper", 200, 300) for q in VISITOR_QUESTIONS]
    variants: list[Variant] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for number, spec in enumerate(args.variant or DEFAULT_VARIANTS):
                name, _, pairs = spec.partition(":")
                env = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
                folder = Path(tmp) / str(number)
                folder.mkdir()
                variants.append(Variant(name, env, folder))
            asyncio.run(interleaved(variants, clips, args))
        finally:
            for variant in variants:
                variant.close()
    for variant in variants:
        variant.report(args.together)
    print(load())


if __name__ == "__main__":
    main()
