"""What the speech process did during a scenario, from its own metrics (read over its socket
before and after): transcription batches, and how long jobs of each kind waited for a slot and
ran. The turn's timings say how long a stage took; these say why (a queue, or the work)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.speech import protocol as wire

Counters = dict[tuple[str, str], float]  # (sample name, kind) -> value


async def speech_counters(path: Path) -> Counters:
    reader, writer = await asyncio.open_unix_connection(str(path), limit=2**20)
    try:
        writer.write(wire.encode({"id": 1, "op": "metrics"}))
        _, page = await wire.read_frame(reader)
    finally:
        writer.close()
    counters: Counters = {}
    for family in text_string_to_metric_families(page.decode()):
        for sample in family.samples:
            if sample.name.endswith(("_sum", "_count")):
                counters[(sample.name, sample.labels.get("kind", ""))] = sample.value
    return counters


def speech_lines(before: Counters, after: Counters) -> list[str]:
    def delta(name: str, kind: str = "") -> float:
        return after.get((name, kind), 0.0) - before.get((name, kind), 0.0)

    lines = []
    batches = delta("sitespeak_speech_batch_size_count")
    if batches:
        size = delta("sitespeak_speech_batch_size_sum") / batches
        lines.append(f"  speech process: {batches:.0f} transcription batches, mean size {size:.1f}")
    for kind in ("stt", "partial", "tts", "embed"):
        jobs = delta("sitespeak_speech_wait_seconds_count", kind)
        runs = delta("sitespeak_speech_run_seconds_count", kind)
        if not jobs or not runs:
            continue
        wait = delta("sitespeak_speech_wait_seconds_sum", kind) / jobs * 1000
        run = delta("sitespeak_speech_run_seconds_sum", kind) / runs * 1000
        lines.append(
            f"  speech process {kind}: {jobs:.0f} jobs waited {wait:.0f} ms for a slot (mean); "
            f"{runs:.0f} runs took {run:.0f} ms (mean)"
        )
    return lines


def wait_for_prepared_answers(timeout: float = 300.0) -> str:
    """Wait until the worker has prepared the instant answers (its background syntheses would
    otherwise share the box with the measured turns); says how it ended."""
    deadline = time.monotonic() + timeout
    with database.connection_context():
        while time.monotonic() < deadline:
            jobs = list(Job.select().where(Job.name == "voice.prepare_answers"))
            if jobs and all(job.status in ("succeeded", "dead") for job in jobs):
                return f"instant answers prepared ({len(jobs)} job(s): {jobs[0].result})"
            time.sleep(1)
    return f"instant answers still being prepared after {timeout:g}s"
