"""The speech process's scheduler on its own, with plain functions as the models: batching of
transcriptions that arrive together, synthesis by priority (a shared synthesis at its most
urgent caller's), refusal when full, cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from sitespeak.speech.scheduler import Overloaded, Scheduler
from sitespeak.speech.server import SpeechService
from sitespeak.voice.speech_api import (
    PRIORITY_AHEAD,
    PRIORITY_BACKGROUND,
    PRIORITY_FIRST,
    PRIORITY_LATER,
)

HANG_GUARD = 60  # seconds: what the tests wait for happens at once on an idle box


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for the scheduler or its models to reach a state: the models run on threads, which
    a loaded box may start late, so no fixed sleep is long enough."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_GUARD
    while not condition():
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.005)


class Recorder:
    """Models that say what they were asked, in order; a gate holds the slow calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.gate = threading.Event()

    def transcribe_batch(self, clips: list[bytes]) -> list[str]:
        self.calls.append(("stt", len(clips)))
        return [clip.decode() for clip in clips]

    def embed_batch(self, requests: list[list[str]]) -> list[list[int]]:
        self.calls.append(("embed", sum(len(texts) for texts in requests)))
        return [[len(text) for text in texts] for texts in requests]

    def synthesize(self, text: str) -> tuple[bytes, int]:
        if not text.startswith("quick"):
            self.gate.wait(HANG_GUARD)
        self.calls.append(("tts", text))
        return text.encode(), 16000


def scheduler(models: Recorder, **kw) -> Scheduler:
    options = {"slots": 1, "batch_window": 0.02, "max_batch": 8, "max_queue": 16, **kw}
    return Scheduler(
        models.transcribe_batch, models.synthesize, embed_batch=models.embed_batch, **options
    )


async def test_transcriptions_arriving_together_are_decoded_as_one_batch():
    models = Recorder()
    s = scheduler(models)
    s.start()
    try:
        texts = await asyncio.gather(*(s.submit("stt", f"clip {n}".encode(), 0) for n in range(5)))
        assert texts == [f"clip {n}" for n in range(5)]
        assert models.calls == [("stt", 5)]
        assert list(s.recent_batches) == [5]
    finally:
        await s.close()


async def test_query_embeddings_arriving_together_are_one_call_that_waits_for_no_slot():
    models = Recorder()
    s = scheduler(models)
    s.start()
    try:
        busy = s.submit("tts", "busy", PRIORITY_LATER)  # holds the only slot
        await until(lambda: s.running == 1, "the busy synthesis in the slot")
        mixed = [
            s.submit("embed", ["one"], 0),
            s.submit("stt", b"clip a", 0),
            s.submit("embed", ["three", "fours"], 0),
            s.submit("tts", "quick first", PRIORITY_FIRST),
            s.submit("stt", b"clip b", 0),
        ]
        # Both questions are embedded, in one call, while the slot is still taken.
        vectors = await asyncio.wait_for(asyncio.gather(mixed[0], mixed[2]), HANG_GUARD)
        assert vectors == [[3], [5, 5]] and models.calls == [("embed", 3)]
        assert s.running == 1 and s.depth == 3
        models.gate.set()
        results = await asyncio.gather(busy, *mixed)
        assert results[2] == "clip a"
        # The rest in slot order: the running synthesis, the batch of transcriptions, then
        # the first phrase.
        assert models.calls[1:] == [("tts", "busy"), ("stt", 2), ("tts", "quick first")]
    finally:
        await s.close()


class SlowPassages(Recorder):
    """Embeds like Recorder, recording the texts; a batch of passages waits for the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.entered: list[str] = []

    def embed_batch(self, requests: list[list[str]]) -> list[list[int]]:
        self.entered += [text for texts in requests for text in texts]
        if requests[0][0].startswith("passage"):
            self.gate.wait(HANG_GUARD)
        self.calls.append(("embed", [text for texts in requests for text in texts]))
        return [[len(text) for text in texts] for texts in requests]


async def test_a_visitors_question_is_embedded_before_background_passages_queued_earlier():
    models = SlowPassages()
    s = scheduler(models)
    s.start()
    try:
        bulk = [s.submit("embed", [f"passage {n}"], PRIORITY_BACKGROUND) for n in range(3)]
        # The first background request holds the embedding lane.
        await until(lambda: models.entered == ["passage 0"], "the first passage embedding")
        question = s.submit("embed", ["opening hours?"], 0)
        models.gate.set()
        assert await asyncio.wait_for(question, HANG_GUARD) == [14]
        await asyncio.gather(*bulk)
        # The question waited for the one running request only, and ran alone: batched with
        # the passages it would have waited for their inference too.
        assert [texts for _, texts in models.calls] == [
            ["passage 0"],
            ["opening hours?"],
            ["passage 1"],
            ["passage 2"],
        ]
    finally:
        await s.close()


async def test_an_embedding_is_refused_by_a_scheduler_without_an_embedder():
    models = Recorder()
    s = Scheduler(
        models.transcribe_batch,
        models.synthesize,
        slots=1,
        batch_window=0,
        max_batch=8,
        max_queue=8,
    )
    s.start()
    try:
        with pytest.raises(ValueError, match="no local embedder"):
            s.submit("embed", ["hello"], 0)
    finally:
        await s.close()


async def test_syntheses_run_by_priority_and_transcriptions_before_them():
    models = Recorder()
    s = scheduler(models)
    s.start()
    try:
        busy = s.submit("tts", "busy", PRIORITY_LATER)  # takes the only slot, held by the gate
        await until(lambda: s.running == 1, "the busy synthesis in the slot")
        waiting = [
            s.submit("tts", "background", PRIORITY_BACKGROUND),
            s.submit("tts", "later", PRIORITY_LATER),
            s.submit("tts", "first phrase", PRIORITY_FIRST),
            s.submit("stt", b"question", 0),
        ]
        models.gate.set()
        await asyncio.gather(busy, *waiting)
        order = [what for _, what in models.calls]
        assert order == ["busy", 1, "first phrase", "later", "background"]
    finally:
        await s.close()


async def test_a_full_queue_refuses_at_once_and_a_cancelled_job_is_dropped():
    models = Recorder()
    s = scheduler(models, max_queue=2)
    s.start()
    try:
        busy = s.submit("tts", "busy", PRIORITY_LATER)
        await until(lambda: s.running == 1, "the busy synthesis in the slot")
        dropped = s.submit("tts", "dropped", PRIORITY_LATER)
        kept = s.submit("tts", "kept", PRIORITY_LATER)
        with pytest.raises(Overloaded):
            s.submit("tts", "one too many", PRIORITY_LATER)
        dropped.cancel()
        assert s.depth == 1 and s.predicted_wait(PRIORITY_LATER) > s.predicted_wait() > 0
        models.gate.set()
        await asyncio.gather(busy, kept)
        assert [what for _, what in models.calls] == ["busy", "kept"]
    finally:
        await s.close()


async def test_later_sentences_leave_a_slot_free_for_a_first_phrase():
    models = Recorder()
    s = scheduler(models, slots=2)
    s.start()
    try:
        long_ones = [s.submit("tts", f"long {n}", PRIORITY_LATER) for n in range(3)]
        # One dispatch pass fills the slots it may: the first long one runs, and the rest
        # were judged in the same pass.
        await until(lambda: s.running > 0, "the first long sentence in a slot")
        assert s.running == 1 and s.depth == 2  # the second slot stays free
        first = await asyncio.wait_for(s.submit("tts", "quick first", PRIORITY_FIRST), HANG_GUARD)
        assert first == (b"quick first", 16000)
        models.gate.set()
        await asyncio.gather(*long_ones)
        assert [what for _, what in models.calls][0] == "quick first"
    finally:
        await s.close()


async def test_a_phrase_queued_at_low_priority_moves_up_when_a_first_phrase_asks_for_it(settings):
    models = Recorder()
    service = SpeechService(settings.model_copy(update={"speech_slots": 1}), models)
    service.scheduler.start()
    try:
        s = service.scheduler
        busy = asyncio.ensure_future(service.synthesize("busy", PRIORITY_LATER))
        await until(lambda: s.running == 1, "the busy synthesis in the slot")
        other = asyncio.ensure_future(service.synthesize("another answer's sentence", 0))
        prepared = asyncio.ensure_future(service.synthesize("We open at 9.", PRIORITY_BACKGROUND))
        await until(lambda: s.depth == 2, "both sentences queued")
        # A visitor's first phrase is the sentence the worker is preparing in the background:
        # the cache shares that one synthesis, which now waits at the first phrase's rank.
        first = asyncio.ensure_future(service.synthesize("We open at 9.", PRIORITY_FIRST))
        await until(lambda: any(-job.rank[0] == PRIORITY_FIRST for job in s._heap), "the promotion")
        models.gate.set()
        await asyncio.gather(busy, other, prepared, first)
        order = [what for _, what in models.calls]
        assert order == ["busy", "We open at 9.", "another answer's sentence"], order
        assert first.result()[:2] == prepared.result()[:2]
    finally:
        await service.scheduler.close()


async def test_freed_memory_is_released_once_the_queue_is_empty_not_between_jobs():
    models = Recorder()
    s = Scheduler(
        models.transcribe_batch,
        models.synthesize,
        slots=1,
        batch_window=0,
        max_batch=8,
        max_queue=8,
        on_idle=lambda: models.calls.append(("idle", None)),
    )
    s.start()
    try:
        busy = s.submit("tts", "busy", PRIORITY_LATER)
        await until(lambda: s.running == 1, "the busy synthesis in the slot")
        queued = [s.submit("tts", "quick one", PRIORITY_LATER), s.submit("stt", b"clip", 0)]
        models.gate.set()
        await asyncio.gather(busy, *queued)
        # The release runs on the pool after the last result is set.
        await until(lambda: models.calls[-1][0] == "idle", "the release")
        assert models.calls == [("tts", "busy"), ("stt", 1), ("tts", "quick one"), ("idle", None)]
    finally:
        await s.close()


async def test_a_transcription_arriving_while_a_batch_decodes_waits_to_join_the_next_batch():
    models = Recorder()
    release = threading.Event()

    def transcribe_batch(clips: list[bytes]) -> list[str]:
        models.calls.append(("stt", len(clips)))
        release.wait(HANG_GUARD)
        return [clip.decode() for clip in clips]

    s = Scheduler(
        transcribe_batch, models.synthesize, slots=2, batch_window=0.005, max_batch=8, max_queue=16
    )
    s.start()
    try:
        first = s.submit("stt", b"first", 0)
        await until(lambda: models.calls == [("stt", 1)], "decoding, held by the gate")
        later = []
        for n in range(3):  # further apart than the batch window
            later.append(s.submit("stt", f"later {n}".encode(), 0))
            await asyncio.sleep(0.02)
        # The second slot is not taken by a small batch: it serves a first phrase at once.
        phrase = await asyncio.wait_for(s.submit("tts", "quick first", PRIORITY_FIRST), HANG_GUARD)
        assert phrase == (b"quick first", 16000)
        release.set()
        assert await asyncio.gather(first, *later) == ["first", "later 0", "later 1", "later 2"]
        assert models.calls == [("stt", 1), ("tts", "quick first"), ("stt", 3)]
    finally:
        release.set()
        await s.close()


async def test_a_partial_transcript_decoding_never_holds_up_a_finished_question():
    models = Recorder()
    release = threading.Event()

    def transcribe_batch(clips: list[bytes]) -> list[str]:
        models.calls.append(("stt", len(clips)))
        if clips[0].startswith(b"caption"):
            release.wait(HANG_GUARD)
        return [clip.decode() for clip in clips]

    # No batch window: the dispatcher judges each caption in the pass right after its submit.
    s = Scheduler(
        transcribe_batch, models.synthesize, slots=2, batch_window=0, max_batch=8, max_queue=16
    )
    s.start()
    try:
        caption = s.submit("partial", b"caption so far", 0)
        await until(lambda: models.calls == [("stt", 1)], "decoding, held by the gate")
        # A second caption waits: optional work never takes the last free slot...
        waiting = s.submit("partial", b"caption of another visitor", 0)
        # One turn of the loop: the dispatcher, woken by the submit, runs its whole pass first.
        await asyncio.sleep(0)
        assert s.running == 1 and s.depth == 1
        # ...which a visitor who stopped talking gets at once.
        heard = await asyncio.wait_for(s.submit("stt", b"whole question", 0), HANG_GUARD)
        assert heard == "whole question"
        release.set()
        assert await asyncio.gather(caption, waiting) == [
            "caption so far",
            "caption of another visitor",
        ]
    finally:
        release.set()
        await s.close()


async def test_a_first_phrase_prepared_ahead_waits_until_nothing_else_runs():
    models = Recorder()
    release = threading.Event()

    def transcribe_batch(clips: list[bytes]) -> list[str]:
        models.calls.append(("stt", len(clips)))
        release.wait(5)
        return [clip.decode() for clip in clips]

    s = Scheduler(
        transcribe_batch, models.synthesize, slots=2, batch_window=0.005, max_batch=8, max_queue=16
    )
    s.start()
    try:
        heard = s.submit("stt", b"whole question", 0)  # decoding, held by the gate
        guess = s.submit("tts", "quick guess from a partial", PRIORITY_AHEAD)
        # A visitor's first phrase takes the free slot; the guess leaves it to the decode.
        first = await asyncio.wait_for(s.submit("tts", "quick first", PRIORITY_FIRST), 2)
        assert first == (b"quick first", 16000)
        assert not guess.done() and s.depth == 1, models.calls
        release.set()
        assert await asyncio.wait_for(heard, 2) == "whole question"
        assert await asyncio.wait_for(guess, 2) == (b"quick guess from a partial", 16000)
        assert [what for _, what in models.calls] == [
            1,
            "quick first",
            "quick guess from a partial",
        ]
    finally:
        release.set()
        await s.close()


async def test_a_transcription_told_more_are_coming_waits_for_them_to_share_its_batch():
    models = Recorder()
    s = scheduler(models, slots=2, batch_window=0.005)
    s.start()
    try:
        # Two more visitors are pausing. The window is far wider than the 40 ms they take here
        # (on a loaded box the test's own sleeps overrun, by seconds at worst), and the batch
        # window narrower than the 20 ms between them: without the hint, the first would
        # decode alone.
        first = s.submit("stt", b"first", 0, window=5)
        await asyncio.sleep(0.02)
        second = s.submit("stt", b"second", 0)
        await asyncio.sleep(0.02)
        third = s.submit("stt", b"third", 0)
        assert await asyncio.gather(first, second, third) == ["first", "second", "third"]
        assert models.calls == [("stt", 3)]
    finally:
        await s.close()
