"""One scheduler for the box's speech inference: a fixed number of slots (one per core by
default), jobs taken by priority, transcriptions batched.

Transcriptions come first (a visitor who stopped talking waits on them), and those arriving
within a few milliseconds of each other run as one batch: with the short Whisper window ten
decodes at once cost about what two do one after another. One such batch runs at a time: the
visitors who pause while it decodes make the next batch together, instead of small batches
started as each slot frees up, which shared the cores and cost more in all. Partial transcripts
(live captions while a visitor speaks) are optional: batched too, but ranked with later
sentences, so they never hold the slot a finished question needs. Query embeddings take no
slot: they run in a lane of their own (one thread), batched the same way, because one takes
~10 ms and a question waiting behind two 400 ms syntheses for a slot made retrieval the slow
part of a busy box's turn (p95 496 -> 1,453 ms with ten visitors at once, measured); in that
lane a background request (the worker's) runs only when no visitor's question waits. Syntheses
follow by priority: a first phrase before later sentences, background work last, and a first
phrase prepared from a partial transcript (a guess) only while nothing else runs; equal
priorities first come, first served. With two slots or more, later sentences, partial
transcripts and background work never take the last free slot: a running job cannot be
interrupted, so a first phrase or a transcription arriving behind a row of long sentences would
otherwise wait for one of them to finish. A full queue refuses new work at once
(``Overloaded``) instead of letting every visitor wait longer: the web process degrades to text
and says so.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sitespeak.voice.speech_api import (
    PRIORITY_AHEAD,
    PRIORITY_BACKGROUND,
    PRIORITY_FIRST,
    PRIORITY_LATER,
    PRIORITY_TRANSCRIBE,
)

log = logging.getLogger(__name__)


class Overloaded(Exception):
    """The queue is full: this job was not taken."""


@dataclass(order=True)
class Job:
    rank: tuple[int, int]  # (-priority, arrival number): the heap's order
    kind: str = field(compare=False)  # "stt", "partial", "embed" or "tts"
    payload: Any = field(compare=False)  # PCM for stt, texts for embed, text for tts
    future: asyncio.Future[Any] = field(compare=False)
    arrived: float = field(compare=False)
    window: float = field(compare=False, default=0.0)  # a batch's wait for others to join


@dataclass
class Observer:
    """Where the scheduler reports what it did (the process's metrics); no-ops by default."""

    waited: Callable[[str, float], None] = lambda kind, seconds: None
    ran: Callable[[str, float], None] = lambda kind, seconds: None
    batched: Callable[[int], None] = lambda size: None
    rejected: Callable[[str], None] = lambda kind: None


BATCHED = ("stt", "partial", "embed")  # kinds whose jobs arriving together run as one call
TRANSCRIPTIONS = ("stt", "partial")


class Scheduler:
    def __init__(
        self,
        transcribe_batch: Callable[[list[bytes]], list[str]],
        synthesize: Callable[[str], Any],
        *,
        embed_batch: Callable[[list[list[str]]], list[Any]] | None = None,
        on_idle: Callable[[], None] | None = None,
        slots: int,
        batch_window: float,
        max_batch: int,
        max_queue: int,
        observer: Observer | None = None,
    ) -> None:
        self._transcribe_batch, self._synthesize = transcribe_batch, synthesize
        self._embed_batch = embed_batch
        self._on_idle = on_idle  # blocking; run on the pool when the last job is done
        self.slots, self.batch_window = max(slots, 1), batch_window
        self.max_batch, self.max_queue = max_batch, max_queue
        self.observer = observer or Observer()
        self.pool = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="speech")
        self._embed_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech-embed")
        self._embeds: list[Job] = []  # waiting for the embedding lane, oldest first
        self._embedding: asyncio.Task[None] | None = None
        self.running = 0
        self.running_later = 0  # of which: jobs below PRIORITY_FIRST
        self.decoding = 0  # of which: transcription batches (one at a time)
        self.recent_batches: deque[int] = deque(maxlen=200)
        # Recent seconds of inference per job (a batch's time shared by its utterances).
        self.cost = {"stt": 0.15, "partial": 0.15, "embed": 0.01, "tts": 0.2}
        self.last_error: dict[str, Any] | None = None
        self._heap: list[Job] = []
        self._numbers = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def depth(self) -> int:
        """Jobs waiting for a slot (a cancelled one is dropped when it reaches the top)."""
        waiting = (*self._heap, *self._embeds)
        return sum(1 for job in waiting if not job.future.done())

    def predicted_wait(self, priority: int = PRIORITY_FIRST) -> float:
        """Seconds a job of ``priority`` arriving now would wait for a slot: the queued work it
        cannot overtake and half of the running, spread over the slots. Web processes use it
        for admission control, which decides about a turn's first phrase: later sentences
        queued by other turns do not delay it."""
        queued = sum(
            self.cost[job.kind]
            for job in self._heap
            if not job.future.done() and -job.rank[0] >= priority
        )
        running = self.running * (self.cost["stt"] + self.cost["tts"]) / 4
        return (queued + running) / self.slots

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._dispatch())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._embedding is not None:
            self._embedding.cancel()
        for job in (*self._heap, *self._embeds):
            job.future.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self._embed_pool.shutdown(wait=False, cancel_futures=True)

    def submit(
        self, kind: str, payload: Any, priority: int, window: float = 0.0
    ) -> asyncio.Future[Any]:
        """Queue one job; its future gets the result. Cancel the future to drop the job.
        ``window``: a batched job waits that long (at least the batch window) for others to
        join its batch, when the caller knows more are coming."""
        if self.depth >= self.max_queue:
            self.observer.rejected(kind)
            raise Overloaded(f"{self.depth} speech jobs waiting")
        loop = asyncio.get_running_loop()
        if kind == "embed" and self._embed_batch is None:
            raise ValueError("this speech process has no local embedder (SITESPEAK_EMBEDDER)")
        if kind == "stt" or (kind == "embed" and priority > PRIORITY_BACKGROUND):
            priority = PRIORITY_TRANSCRIBE  # a visitor waits on it
        elif kind == "partial":
            # A live caption while the visitor speaks is optional work: it ranks with later
            # sentences, so it never takes the last free slot from a visitor who stopped talking.
            priority = PRIORITY_LATER
        rank = (-priority, next(self._numbers))
        job = Job(
            rank, kind, payload, loop.create_future(), loop.time(), max(window, self.batch_window)
        )
        if kind == "embed":
            self._embeds.append(job)
            if self._embedding is None or self._embedding.done():
                self._embedding = loop.create_task(self._embed_lane())
            return job.future
        heapq.heappush(self._heap, job)
        self._wake.set()
        return job.future

    async def _embed_lane(self) -> None:
        """Runs the waiting embeddings until none is left: visitors' questions first, batched;
        background requests (a worker's passages or questions) one at a time, and only when no
        question waits, so a question arriving behind a row of them waits for one at most."""
        loop = asyncio.get_running_loop()
        while self._embeds:
            waiting = sorted(job for job in self._embeds if not job.future.done())
            if not waiting:
                self._embeds = []
                break
            top = waiting[0]
            # The oldest question's batch window: questions arriving within it share its call.
            delay = top.arrived + top.window - loop.time()
            if delay > 0 and -top.rank[0] > PRIORITY_BACKGROUND:
                await asyncio.sleep(delay)
                continue  # a more urgent request may have come meanwhile
            same = [job for job in waiting if job.rank[0] == top.rank[0]]
            jobs = same[: self.max_batch if -top.rank[0] > PRIORITY_BACKGROUND else 1]
            taken = {id(job) for job in jobs}
            self._embeds = [job for job in waiting if id(job) not in taken]
            await self._execute(jobs, lane=self._embed_pool)

    def promote(self, text: str, priority: int) -> None:
        """A synthesis of ``text`` still waiting goes up to ``priority``: the phrase cache
        shares one synthesis between callers, so a first phrase that finds its text already
        queued as a later sentence (or as background work) must not wait at that rank."""
        moved = False
        for job in self._heap:
            if job.kind == "tts" and job.payload == text and -job.rank[0] < priority:
                job.rank = (-priority, job.rank[1])
                moved = True
        if moved:
            heapq.heapify(self._heap)
            self._wake.set()

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.running < self.slots:
                top = self._next_job()
                if top is None:
                    break
                if top.kind in BATCHED:
                    # Wait out the batch window of the oldest job of its kind, so others that
                    # arrive within it share its call.
                    delay = top.arrived + top.window - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                        continue
                    jobs = self._take_batch(top.kind)
                else:
                    self._heap.remove(top)
                    heapq.heapify(self._heap)
                    jobs = [top]
                if not jobs:
                    continue
                self.running += 1
                later = -jobs[0].rank[0] < PRIORITY_FIRST
                self.running_later += later
                self.decoding += jobs[0].kind == "stt"
                loop.create_task(self._execute(jobs, later))

    def _next_job(self) -> Job | None:
        """The most urgent job that may take a free slot now. One transcription batch runs at
        a time: the visitors who paused while it decodes join the next batch, whole, instead of
        splitting into small batches that share the cores (ten visitors ending within 20 ms
        made three or four batches); meanwhile the other slots serve first phrases."""
        self._heap = [job for job in self._heap if not job.future.done()]  # cancelled: dropped
        heapq.heapify(self._heap)
        for job in sorted(self._heap):
            if job.kind == "stt" and self.decoding:
                continue
            if -job.rank[0] <= PRIORITY_AHEAD and self.running:
                # A guess (sitespeak.voice.ahead) only on an idle process: beside a decode it
                # would take a core from the question a visitor just finished.
                return None
            if -job.rank[0] < PRIORITY_FIRST and not self._later_may_run():
                return None  # the last free slot waits for a first phrase or a transcription
            return job
        return None

    def _later_may_run(self) -> bool:
        return self.slots == 1 or self.running_later < self.slots - 1

    def _take_batch(self, kind: str) -> list[Job]:
        """The oldest waiting jobs of ``kind``, up to a batch; transcriptions and embeddings
        share a priority, so they interleave in the heap and are picked out of it by kind."""
        jobs: list[Job] = []
        rest: list[Job] = []
        for job in sorted(self._heap):
            if job.future.done():
                continue
            if job.kind == kind and len(jobs) < self.max_batch:
                jobs.append(job)
            else:
                rest.append(job)
        self._heap = rest  # sorted: already a heap
        return jobs

    async def _execute(
        self, jobs: list[Job], later: bool = False, lane: ThreadPoolExecutor | None = None
    ) -> None:
        """Runs one job or batch on ``lane``, or on a slot of the pool when None."""
        loop = asyncio.get_running_loop()
        kind = jobs[0].kind
        began = loop.time()
        for job in jobs:
            self.observer.waited(kind, began - job.arrived)
        try:
            if kind in TRANSCRIPTIONS:
                self.recent_batches.append(len(jobs))
                self.observer.batched(len(jobs))
                clips = [job.payload for job in jobs]
                results = await loop.run_in_executor(self.pool, self._transcribe_batch, clips)
            elif kind == "embed" and self._embed_batch is not None:
                texts = [job.payload for job in jobs]
                results = await loop.run_in_executor(lane, self._embed_batch, texts)
            else:
                results = [await loop.run_in_executor(self.pool, self._synthesize, jobs[0].payload)]
        except Exception as exc:  # noqa: BLE001 - every waiter gets the error; the process lives
            log.exception("speech %s job failed", kind)
            self.last_error = {
                "at": time.time(),
                "kind": kind,
                "message": f"{type(exc).__name__}: {exc}",
            }
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(exc)
        else:
            for job, result in zip(jobs, results, strict=True):
                if not job.future.done():
                    job.future.set_result(result)
        finally:
            elapsed = loop.time() - began
            self.cost[kind] += 0.2 * (elapsed / len(jobs) - self.cost[kind])
            self.observer.ran(kind, elapsed)
            if lane is None:  # the embedding lane takes no slot
                self.running -= 1
                self.running_later -= later
                self.decoding -= kind == "stt"
                self._wake.set()
        if lane is None and self._on_idle is not None and not self.running and not self.depth:
            # Nobody waits: the pool's thread is free, and the next job finds it done.
            await loop.run_in_executor(self.pool, self._on_idle)
