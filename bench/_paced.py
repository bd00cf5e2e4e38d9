"""The browser's side of a spoken turn, shared by the SiteSpeak and Pipecat runs: test speech,
20 ms frames paced in real time with trailing silence (no commit: the server finds the end of
speech), the moment of the last voiced sample, and the statistics printed."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np
import psutil
from _stack import percentile

from tests.voice.speech import speech

FRAME = 640  # 20 ms of 16 kHz PCM16
LEAD_MS, TAIL_MS = 300, 1500  # silence around each question; the tail outlasts any endpointer
VOICED = 300  # |sample| above this (-40 dBFS) counts as voice

# Questions the bakery site answers; the Pipecat pipeline answers each with ANSWER at once.
QUESTIONS = [
    "What time do you open on Sunday?",
    "What is your phone number?",
    "What is your address?",
    "Who founded the bakery?",
    "When do you close on Saturday?",
    "Are you open on Christmas Day?",
    "How much notice do cake orders need?",
    "Where is the bakery?",
    "What do you bake every morning?",
    "When can I pick up a cake?",
]
ANSWER = "On Sunday we open at 9 am and close at 1 pm."
FIRST_AUDIO = "last voiced sample -> first answer audio"
STARTED = "last voiced sample -> response.started"


@dataclass(frozen=True)
class Utterance:
    text: str
    pcm: bytes
    voiced_end: float  # seconds from the start of pcm to the last voiced sample


def utterance(text: str) -> Utterance:
    pcm = speech(text, LEAD_MS, TAIL_MS)
    loud = np.flatnonzero(np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32)) > VOICED)
    return Utterance(text, pcm, (int(loud[-1]) + 1) / 16000 if len(loud) else 0.0)


async def send_paced(
    send: Callable[[bytes], Awaitable[None]], utt: Utterance, start: float
) -> float:
    """Send ``utt`` from ``start`` (perf_counter) in real time; the perf_counter at which the
    frame holding the last voiced sample went out."""
    voiced_end = int(utt.voiced_end * 16000) * 2
    eos_at = 0.0
    for index in range(0, len(utt.pcm), FRAME):
        due = start + index / 32000
        await asyncio.sleep(max(due - time.perf_counter(), 0))
        await send(utt.pcm[index : index + FRAME])
        if not eos_at and index + FRAME >= voiced_end:
            eos_at = time.perf_counter()
    return eos_at


def aligned_starts(utts: list[Utterance], at: float) -> list[float]:
    """Start times that make every utterance's last voiced sample fall at the same moment."""
    latest = max(u.voiced_end for u in utts)
    return [at + latest - u.voiced_end for u in utts]


def row(name: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"  {name:<40} (no samples)"
    return (
        f"  {name:<40} n={len(values):<4} p50={percentile(values, 50):7.1f}  "
        f"p95={percentile(values, 95):7.1f}  max={max(values):7.1f} {unit}"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def rss_mb(pid: int) -> float:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def rss_line(processes: dict[str, int]) -> str:
    sizes = {name: rss_mb(pid) for name, pid in processes.items()}
    parts = ", ".join(f"{name} {mb:.0f} MB" for name, mb in sizes.items())
    return f"  RSS: {parts}; all {sum(sizes.values()):.0f} MB"
