"""One turn, top to bottom: (audio → VAD already done) → STT → retrieval → answer → TTS →
frames. Every stage streams to the outlet as soon as it has something; timings are recorded.

Text never waits for speech: the whole answer text goes out the moment it is known, its audio
follows, a short first phrase first (sitespeak.voice.phrases). A turn may start with a Draft
that a speculative run prepared during the end-of-speech hangover (sitespeak.voice.speculation):
then its transcript, passages, answer and first phrase's audio are already there.

A turn runs as its own asyncio task: barge-in cancels it, and what was actually sent is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel

from sitespeak.errors import SpeechUnavailable, outage_from
from sitespeak.voice import answer as answerer
from sitespeak.voice import composed, streamed
from sitespeak.voice.admission import Plan
from sitespeak.voice.ahead import Ahead, first_audio
from sitespeak.voice.audio import resample
from sitespeak.voice.by_meaning import Meaning, second_look
from sitespeak.voice.persona import Persona
from sitespeak.voice.phrases import split_answer
from sitespeak.voice.protocol import (
    Citation,
    ErrorEvent,
    PageAction,
    ResponseAction,
    ResponseDone,
    ResponseStarted,
    ResponseTextDelta,
    TranscriptFinal,
)
from sitespeak.voice.speakable import speakable
from sitespeak.voice.timings import Timing

if TYPE_CHECKING:  # the speech package imports voice at run time
    from sitespeak.voice.speech_api import Speech

Retriever = Callable[[int, str, int], Awaitable[list[Any]]]
# (site_id, question, answer) → the answer to send, its actions limited to the site's catalog.
log = logging.getLogger(__name__)
Vetter = Callable[[int, str, answerer.Answer], Awaitable[answerer.Answer]]
PASSAGES = 8
FILLER_GRACE = 0.05  # seconds: a cached phrase is back well within it, a synthesis is not
UNHEARD = (
    "Sorry, I could not listen to that: speech recognition is unavailable right now. "
    "Please type your question."
)


class Outlet(Protocol):
    async def event(self, message: BaseModel) -> None: ...
    async def audio(self, pcm: bytes) -> None: ...


@dataclass
class TurnInput:
    seq: int
    mode: Literal["speech", "text"]
    ended_at: float  # perf_counter when the end of speech (or the text) was known
    text: str = ""  # a text turn's question, or the latest partial transcript
    audio: bytes = b""  # 16 kHz PCM16 of the utterance
    eos_delay: float = 0.0  # last voiced frame → end of speech decided
    draft: asyncio.Future | None = None  # → Draft: a speculative run during the hangover
    plan: Plan = field(default_factory=lambda: Plan("full", 0.0))  # admission's choice
    discarded: int = 0  # speculative runs thrown away because the visitor went on
    early: bool = False  # ended at the hangover from the last sound: a whole question was heard
    ahead: Ahead | None = None  # a first phrase prepared from a partial transcript's answer


@dataclass
class Draft:
    """Stages 2–5 done ahead, from the audio up to the first unvoiced frame."""

    transcript: str
    passages: list[Any]
    reply: answerer.Answer | None  # None: a streaming answerer will answer at the end
    first_audio: asyncio.Future | None  # the first phrase's synthesis, started early
    timings: dict[str, float] = field(default_factory=dict)  # the stages' cost, paid early
    first_text: str = ""  # the phrase first_audio speaks
    history_len: int = 0  # turns the run understood the question with
    # first_audio was prepared from a partial transcript (True), one was but this answer
    # begins otherwise (False), or none was (None): sitespeak.voice.ahead
    ahead: bool | None = None


async def settled(draft: asyncio.Future | None) -> Draft | None:
    """The Draft, or None when there is none or its run failed (the turn then does it all)."""
    if draft is None:
        return None
    try:
        return await draft
    except asyncio.CancelledError:
        turn = asyncio.current_task()
        if turn is not None and turn.cancelling():
            raise  # this turn is being cancelled (barge-in), not only the run
        return None
    except Exception:  # noqa: BLE001 - the turn redoes the stage and meets the error itself
        return None


@dataclass
class TurnResult:
    seq: int
    mode: str
    transcript: str = ""
    spoken: list[str] = field(default_factory=list)
    citations: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    covered: bool = False
    interrupted: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # providers used, fallbacks

    @property
    def answer(self) -> str:
        return " ".join(self.spoken)

    def done_event(self) -> ResponseDone:
        return ResponseDone(
            turn=self.seq,
            text=self.answer,
            covered=self.covered,
            citations=[Citation(**c) for c in self.citations],
            interrupted=self.interrupted,
            timings=self.timings,
        )

    def row(self, provider: dict[str, str]) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "input_mode": self.mode,
            "transcript": self.transcript,
            "answer": self.answer,
            "covered": self.covered,
            "interrupted": self.interrupted,
            "citations": self.citations,
            "actions": self.actions,
            "timings": self.timings,
            "provider": {**provider, **self.notes},
        }


class Clock:
    """Milliseconds since the end of speech, per stage."""

    def __init__(self, origin: float, timings: dict[str, float]) -> None:
        self.origin, self.timings, self._last = origin, timings, time.perf_counter()

    def stage(self, name: Timing) -> None:
        now = time.perf_counter()
        self.timings[name] = round((now - self._last) * 1000, 2)
        self._last = now

    def since_end(self, name: Timing) -> None:
        self.timings.setdefault(name, round((time.perf_counter() - self.origin) * 1000, 2))


async def run_turn(
    turn: TurnInput,
    result: TurnResult,
    site_id: int,
    engine: Speech,
    retrieve: Retriever,
    out: Outlet,
    output_rate: int,
    vet: Vetter | None = None,
    answer_with: streamed.StreamingAnswerer | None = None,
    history: list[dict[str, str]] | None = None,
    persona: Persona | None = None,
    meaning: Meaning | None = None,
) -> TurnResult:
    """Fill ``result`` as the turn goes, so a cancelled turn still says what was sent.
    ``history`` (the session's last turns) resolves follow-ups; ``persona`` words answers;
    ``meaning`` gives a decline a second look (sitespeak.voice.by_meaning)."""
    clock = Clock(turn.ended_at, result.timings)
    result.timings[Timing.EOS_DELAY] = round(turn.eos_delay * 1000, 2)
    turn.plan.record(result.timings, result.notes)
    if turn.mode == "speech":
        result.timings[Timing.SPECULATIONS_DISCARDED] = float(turn.discarded)
        if turn.early:
            result.timings[Timing.EARLY_END] = 1.0

    # 1. Feedback the moment the end of speech is known: what we have so far.
    state = "heard_you" if turn.mode == "speech" else "answering"
    await out.event(ResponseStarted(turn=turn.seq, state=state, transcript=turn.text))
    clock.since_end(Timing.EOS_TO_STARTED)
    draft = await settled(turn.draft)  # started at the first unvoiced frame: often done

    # 2. Speech to text (text turns skip it; a draft heard it during the hangover).
    question = turn.text
    if turn.mode == "speech":
        clock.stage(Timing.WAIT)
        try:
            question = draft.transcript if draft else await engine.transcribe(turn.audio)
        except SpeechUnavailable as exc:  # told, never dropped: typing still works
            result.notes["stt"] = f"speech_unavailable: {exc.message}"
            await out.event(ErrorEvent(code="speech_unavailable", message=UNHEARD, fatal=False))
            return result
        clock.stage(Timing.STT)
        await out.event(TranscriptFinal(text=question))
    result.transcript = question
    if draft:
        result.timings.update(draft.timings)
        result.timings[Timing.SPECULATIVE] = 1.0  # a flag: the stages above ran during the hangover

    # 3. Retrieval from the site's knowledge base.
    if draft and draft.history_len == len(history or []):
        passages = draft.passages
    else:
        draft = None  # a turn ended since the run began: understood with the new history
        passages = await look_up(site_id, question, retrieve, history)
        clock.stage(Timing.RETRIEVAL)

    if answer_with is not None:  # 4–5 with a streaming provider (sitespeak.voice.streamed)
        await _streamed(
            answer_with,
            question,
            passages,
            history,
            turn,
            engine,
            out,
            output_rate,
            clock,
            result,
            vet,
            site_id,
        )
        return result
    # 4. The answer: extractive, so its first token is its whole text. Text never waits for
    # speech: all of it goes out now, the audio follows.
    if draft and draft.reply is not None:
        reply = draft.reply
    else:
        reply = await compose(
            site_id, question, passages, vet, history, persona, meaning, result.timings
        )
        clock.stage(Timing.ANSWER)
    if reply.understood and reply.understood != question:
        result.notes["understood"] = reply.understood  # how a follow-up was read
    await show(reply, turn.seq, out, result)

    # 5. Speech out: a short first phrase, then sentence by sentence while the previous plays.
    chunks = split_answer(reply.speech, turn.plan.first_words)
    first, prepared = _first_phrase(chunks, draft, turn, engine)
    if prepared is not None:
        result.timings[Timing.FIRST_PHRASE_AHEAD] = float(prepared)
    try:
        await speak(chunks, turn.seq, engine, out, output_rate, clock, result, turn.plan, first)
    except SpeechUnavailable as exc:
        await _speechless(out, result, chunks, "speech_unavailable", exc.message)
    clock.since_end(Timing.TOTAL)
    return result


def _first_phrase(
    chunks: list[str], draft: Draft | None, turn: TurnInput, engine: Speech
) -> tuple[asyncio.Future | None, bool | None]:
    """The first phrase's synthesis if it was started before the turn (by the speculative run,
    or from a partial transcript's answer: sitespeak.voice.ahead), and whether a partial's
    answer had prepared it (None: none had)."""
    if not chunks:
        return None, None
    if draft and draft.first_audio is not None and draft.first_text == chunks[0]:
        return draft.first_audio, draft.ahead
    if turn.ahead is None or not turn.plan.audio:
        return None, None
    return first_audio(engine, chunks[0], turn.ahead)


async def _streamed(
    answer_with: streamed.StreamingAnswerer,
    question: str,
    passages: list[Any],
    history: list[dict[str, str]] | None,
    turn: TurnInput,
    engine: Speech,
    out: Outlet,
    output_rate: int,
    clock: Clock,
    result: TurnResult,
    vet: Vetter | None,
    site_id: int,
) -> None:
    """Steps 4–5 when the answer streams: its text deltas go out as they come."""
    try:
        await streamed.answer_and_speak(
            answer_with,
            question,
            passages,
            history or [],
            turn.seq,
            engine,
            out,
            output_rate,
            clock,
            result,
            _action_gate(vet, site_id),
        )
    except SpeechUnavailable as exc:
        await _speechless(out, result, result.spoken, "speech_unavailable", exc.message)
    clock.since_end(Timing.TOTAL)


async def look_up(
    site_id: int,
    question: str,
    retrieve: Retriever,
    history: list[dict[str, str]] | None = None,
) -> list[Any]:
    query = answerer.query_for(question, history)
    return await retrieve(site_id, query, PASSAGES) if question else []


async def compose(
    site_id: int,
    question: str,
    passages: list[Any],
    vet: Vetter | None,
    history: list[dict[str, str]] | None = None,
    persona: Persona | None = None,
    meaning: Meaning | None = None,
    timings: dict[str, float] | None = None,
) -> answerer.Answer:
    """``timings`` gets the flag ``answer_prepared`` when the answer was composed before (a
    prepared question's: sitespeak.voice.composed)."""

    async def now() -> answerer.Answer:
        return await _composed(question, passages, history, persona, meaning)

    key = composed.key_for(question, passages, history, persona)
    if key is None:
        reply = await now()
    else:
        assert isinstance(passages, composed.PreparedPassages)  # key_for says so
        reply, before = await composed.composed_once(
            question, passages, key, now, lambda done: meaning is None or done.covered
        )
        if before and timings is not None:
            timings[Timing.ANSWER_PREPARED] = 1.0
    if vet is not None:
        try:
            reply = await vet(site_id, question, reply)
        except Exception as exc:
            if outage_from(exc) is None:
                raise
            # The catalog (PostgreSQL) is away: answer anyway, with no page action, since an
            # action that was not vetted must never reach the page.
            log.warning("page actions not vetted (%s); answering without", type(exc).__name__)
            reply = replace(reply, actions=[])
    return reply


async def _composed(
    question: str,
    passages: list[Any],
    history: list[dict[str, str]] | None,
    persona: Persona | None,
    meaning: Meaning | None,
) -> answerer.Answer:
    # Pure Python, and 30-200 ms on a loaded box: in a thread, the event loop keeps sending
    # other visitors' audio frames meanwhile (the GIL switches every few ms) instead of stalling.
    reply = await asyncio.to_thread(answerer.answer, question, passages, history, persona)
    if meaning is not None:
        reply = await second_look(question, passages, reply, meaning, persona)
    return reply


async def show(reply: answerer.Answer, seq: int, out: Outlet, result: TurnResult) -> None:
    """The answer as text, its citations and its page actions: before any of its audio."""
    result.citations, result.covered = reply.citations, reply.covered
    for number, action in enumerate(reply.actions):
        page_action = PageAction(action_id=f"{seq}.{number}", **action)
        result.actions.append(page_action.model_dump())
        await out.event(ResponseAction(turn=seq, action=page_action))
    await out.event(ResponseTextDelta(turn=seq, text=reply.text))


async def _speechless(
    out: Outlet, result: TurnResult, chunks: list[str], code: str, why: str
) -> None:
    """No (more) audio for this answer: the visitor is told, and the text they were shown is
    the turn's answer."""
    result.notes["audio"] = f"{code}: {why}"
    result.spoken = list(chunks)
    await out.event(
        ErrorEvent(code=code, message=f"The answer is shown as text only ({why}).", fatal=False)
    )


def _action_gate(vet: Vetter | None, site_id: int):
    """One streamed action through the same catalog gate as a whole answer."""
    if vet is None:
        return None

    async def gate(action: dict[str, Any]) -> dict[str, Any] | None:
        vetted = await vet(site_id, "", answerer.Answer([], [], True, [action]))
        return vetted.actions[0] if vetted.actions else None

    return gate


def _from_cache(synthesis: asyncio.Future) -> bool:
    """Done, and the speech process's phrase cache had it."""
    if not synthesis.done() or synthesis.cancelled() or synthesis.exception() is not None:
        return False
    return bool(getattr(synthesis.result(), "cached", False))


async def speak(
    chunks: list[str],
    seq: int,
    engine: Speech,
    out: Outlet,
    rate: int,
    clock: Clock,
    result: TurnResult,
    plan: Plan,
    first: asyncio.Future | None = None,
) -> None:
    """Synthesize chunk n+1 while chunk n is sent; the first phrase asks for priority."""
    if not plan.audio:
        await _speechless(out, result, chunks, "speech_busy", "the voice is busy right now")
        return
    if plan.filler:  # already synthesized: plays while the answer's first phrase is made
        first = first or asyncio.ensure_future(engine.synthesize(speakable(chunks[0]), priority=1))
        filler, filler_rate = await engine.synthesize(plan.filler, priority=2)
        # An instant answer needs no filler: its first phrase comes from the phrase cache as
        # quickly as the filler (a round trip behind it), and "One moment." would only delay it.
        await asyncio.wait((first,), timeout=FILLER_GRACE)
        played = not _from_cache(first)
        result.timings[Timing.FILLER] = float(played)
        if played:
            clock.since_end(Timing.EOS_TO_FIRST_AUDIO)
            await out.audio(resample(filler, filler_rate, rate))
    if chunks and first is None:
        first = asyncio.ensure_future(engine.synthesize(speakable(chunks[0]), priority=1))
    pending = first
    try:
        for index, chunk in enumerate(chunks):
            assert pending is not None  # started for every chunk, the first before the loop
            audio = await pending
            pcm, source_rate = audio
            if index == 0:
                clock.stage(Timing.TTS_FIRST_AUDIO)
                # The speech process says when the phrase cache had it (an answer prepared by
                # voice.prepare_answers, or said before); an in-process engine does not say.
                if getattr(audio, "cached", False):
                    result.timings[Timing.INSTANT] = 1.0
            pending = (
                asyncio.ensure_future(engine.synthesize(speakable(chunks[index + 1])))
                if index + 1 < len(chunks)
                else None
            )
            if index == 0:
                clock.since_end(Timing.EOS_TO_FIRST_AUDIO)
                clock.since_end(Timing.EOS_TO_ANSWER_AUDIO)
                result.timings[Timing.FIRST_PHRASE_AUDIO] = round(len(pcm) / source_rate * 500, 1)
            await out.audio(resample(pcm, source_rate, rate))
            result.spoken.append(chunk)
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
