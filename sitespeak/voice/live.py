"""One connected voice session: frames in, events and audio out, one turn at a time.

Transport-free: the web shell hands in ``receive``/``send`` callables, so this knows nothing of
Quart. Bad frames get an ``error`` event and the session goes on unless the error is fatal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from sitespeak.errors import InvalidInput, outage_from
from sitespeak.settings import Settings
from sitespeak.voice import ahead
from sitespeak.voice import protocol as p
from sitespeak.voice.admission import MeteredSpeech, SpeechLoad
from sitespeak.voice.answer import Answer
from sitespeak.voice.audio import frame_bytes, split_frames
from sitespeak.voice.by_meaning import Meaning
from sitespeak.voice.greeting import say_greeting
from sitespeak.voice.inbox import Inbox
from sitespeak.voice.limits import AddressSessions, TurnLimiter, announced
from sitespeak.voice.offers import as_seen_from
from sitespeak.voice.persona import Persona
from sitespeak.voice.phrases import split_answer
from sitespeak.voice.session import SessionState, SessionStore
from sitespeak.voice.speakable import speakable
from sitespeak.voice.speculation import Reach, Speculation, prepare, whole_question
from sitespeak.voice.speech_api import PRIORITY_AHEAD, Speech, SpeechEngine
from sitespeak.voice.streamed import StreamingAnswerer
from sitespeak.voice.turn import (
    Retriever,
    TurnInput,
    TurnResult,
    Vetter,
    compose,
    look_up,
    run_turn,
)
from sitespeak.voice.vad import Endpointer

log = logging.getLogger(__name__)


class ProviderChoice(Protocol):
    """Which provider a site chose for each stage ("local" or "openai")."""

    @property
    def stt(self) -> str: ...
    @property
    def tts(self) -> str: ...
    @property
    def answerer(self) -> str: ...
    @property
    def realtime(self) -> bool: ...


class Providers(Protocol):
    """What a session needs of its site's providers. ``sitespeak.providers.session`` implements
    it; voice does not import that package, which is built on voice."""

    @property
    def choice(self) -> ProviderChoice: ...
    @property
    def persona(self) -> Persona: ...
    @property
    def greeting(self) -> str: ...

    def for_turn(self, notes: dict[str, str]) -> tuple[Speech, StreamingAnswerer | None]:
        """(speech, answerer or None for the local one) for one turn; fallbacks go in notes."""
        ...


RESUME_HINT = "server restarting; reconnect with your resume_id to resume"
# A visitor silent this long is pausing: unless they go on, their speculative decode starts
# within SPECULATE_AFTER_MS minus this (sitespeak.voice.vad), and may share a batch with others.
PAUSING_MS = 50
# A partial transcript later than this is news to nobody; past it, partials wait for a calmer box.
PARTIAL_MAX_WAIT_MS = 200.0
# Answer audio ahead of real time is topped up in bursts of this much (at most half the lead).
BURST_MS = 80


class Closed(Exception):
    """The session ends with this WebSocket close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def ending_for(exc: Exception) -> tuple[p.ErrorEvent, Closed]:
    """How a session that failed with ``exc`` ends: a fatal ``error`` event, then 1013 (try
    again later) when a dependency is down, 1011 for anything else. Never a silent 1000."""
    outage = outage_from(exc)
    if outage is not None:
        return (
            p.ErrorEvent(
                code="unavailable",
                message=f"{outage.message}; connect again with your resume_id",
                fatal=True,
            ),
            Closed(1013, "a service the session needs is unavailable; try again shortly"),
        )
    return (
        p.ErrorEvent(code="internal", message="the session failed on the server", fatal=True),
        Closed(1011, "internal error"),
    )


@dataclass
class Wire:
    receive: Callable[[], Awaitable[str | bytes]]
    send_text: Callable[[str], Awaitable[None]]
    send_bytes: Callable[[bytes], Awaitable[None]]


@dataclass
class Services:
    settings: Settings
    engine: SpeechEngine
    retrieve: Retriever
    store: SessionStore
    limiter: TurnLimiter
    on_turn: Callable[[SessionState, TurnResult], Awaitable[None]]
    vet_actions: Vetter | None = None  # the action catalog's gate (sitespeak.actions)
    meaning: Meaning | None = None  # a decline's second look (sitespeak.voice.by_meaning)
    load: SpeechLoad = field(init=False)  # this process's speech work, for admission
    addresses: AddressSessions = field(init=False)  # open sessions per client address
    sessions: set[LiveSession] = field(init=False, default_factory=set)  # open in this process

    def __post_init__(self) -> None:
        cfg = self.settings
        if hasattr(self.engine, "decodes_coming"):  # the speech process's client batches by it
            self.engine.decodes_coming = self.decodes_coming
        self.addresses = AddressSessions(
            cfg.voice_sessions_per_address,
            self.limiter.redis,
            cfg.redis_prefix,
            cfg.voice_session_lease,
        )
        self.load = SpeechLoad(
            cfg.voice_inference_threads,
            cfg.voice_admission_budget_ms,
            cfg.voice_admission_max_wait_ms,
            # The speech process's box-wide prediction, when the engine is its client.
            lambda: float(getattr(self.engine, "box_wait_ms", 0.0)),
        )

    def decodes_coming(self) -> int:
        """Visitors pausing whose speculative decode has not started: it will within a few
        tens of ms, unless they go on speaking."""
        return sum(1 for session in self.sessions if session.pausing)


class PacedOutlet:
    """Sends answer audio at most ``lead`` seconds ahead of real time, so barge-in can cut
    what the visitor has not heard yet (and history can say what was sent)."""

    def __init__(self, wire: Wire, rate: int, frame_ms: int, lead_ms: int) -> None:
        self._wire, self._rate = wire, rate
        self._frame = frame_bytes(rate, frame_ms)
        self._lead = lead_ms / 1000
        self._burst = min(BURST_MS / 1000, self._lead / 2)  # the lead never drops below half
        self._play_end = 0.0  # when the audio sent so far finishes playing

    async def event(self, message: BaseModel) -> None:
        await self._wire.send_text(p.encode(message))

    async def audio(self, pcm: bytes) -> None:
        for frame in split_frames(pcm, self._frame):
            now = time.perf_counter()
            ahead = self._play_end - now
            if ahead > self._lead:
                # Wake once per burst of frames, not once per frame: a timer and a task wake-up
                # per 20 ms frame and session was a tenth of the web process's CPU under load.
                await asyncio.sleep(ahead - self._lead + self._burst)
            self._play_end = max(self._play_end, time.perf_counter()) + len(frame) / (
                2 * self._rate
            )
            await self._wire.send_bytes(frame)

    def reset(self) -> None:
        self._play_end = 0.0


class LiveSession:
    def __init__(
        self,
        services: Services,
        wire: Wire,
        state: SessionState,
        resumed: bool,
        start: p.SessionStart,
        client_ip: str,
        providers: Providers | None = None,
        ack_sound: bool = True,
    ) -> None:
        self.s, self.wire, self.state, self.resumed = services, wire, state, resumed
        self.ack_sound = ack_sound  # the site's option, announced in session.ready
        self.start, self.client_ip = start, client_ip
        self.providers = providers  # None: the local engine and answerer
        self.persona = providers.persona if providers else None  # for the local answerer
        cfg = services.settings
        self.vad = Endpointer(
            16000, cfg.voice_vad_aggressiveness, silence_ms=cfg.voice_endpoint_silence_ms
        )
        out = start.output_format
        self.outlet = PacedOutlet(wire, out.sample_rate, out.frame_ms, cfg.voice_audio_lead_ms)
        self.response: asyncio.Task | None = None
        self.partial_task: asyncio.Task | None = None
        self.last_partial_at = 0.0
        self.partial_text = ""
        self.partial_upto = 0  # bytes of the utterance the live transcript covers
        self.utterances = 0  # a decode of an earlier utterance must not show as this one's
        self.speculation: Speculation | None = None
        self.speculations = {"used": 0, "discarded": 0}
        self.ahead: ahead.Ahead | None = None  # this utterance's first phrase, from a partial
        self.ahead_task: asyncio.Task | None = None
        self.closing = False
        self.greeted = False
        self._stop: asyncio.Future = asyncio.get_running_loop().create_future()
        self.inbox = Inbox(
            wire.receive,
            cfg.voice_idle_timeout,
            self.answering,
            lambda idle: Closed(4408, f"idle for {idle:g}s"),
        )

    async def vet(self, site_id: int, question: str, reply: Answer) -> Answer:
        """The catalog's gate, then only what the widget on this page will really do."""
        if self.s.vet_actions is not None:
            reply = await self.s.vet_actions(site_id, question, reply)
        return as_seen_from(reply, self.start.page_url)

    # --- sending ---------------------------------------------------------------------------

    async def send(self, message: BaseModel) -> None:
        await self.wire.send_text(p.encode(message))

    async def error(self, code: str, message: str, fatal: bool = False) -> None:
        await self.send(p.ErrorEvent(code=code, message=message, fatal=fatal))

    async def ready(self) -> None:
        await self.send(
            p.SessionReady(
                session_id=self.state.session_id,
                resume_id=self.state.resume_id,
                resumed=self.resumed,
                turns=self.state.turns,
                limits=announced(self.s.settings),
                input_format=self.start.input_format,
                output_format=self.start.output_format,
                ack_sound=self.ack_sound,
                greeting=self.providers.greeting if self.providers else "",
            )
        )

    async def close_for_drain(self, turns_by: float) -> None:
        """The server stops: no new turn starts, the turn in flight may finish until the loop
        time ``turns_by`` (then it is cut), and the visitor is told to resume elsewhere."""
        self.closing = True
        task = self.response
        if task is not None and not task.done():
            left = turns_by - asyncio.get_running_loop().time()
            done, _ = await asyncio.wait((task,), timeout=max(left, 0.0))
            if not done:
                await self.barge_in()
        try:
            await self.send(p.SessionClosing(reason=RESUME_HINT))
        finally:
            if not self._stop.done():
                self._stop.set_result(None)
            self.inbox.end(Closed(1012, RESUME_HINT))

    # --- the receive loop ------------------------------------------------------------------

    @property
    def pausing(self) -> bool:
        return (
            self.speculation is None
            and self.vad.speaking
            and self.vad.quiet_ms >= PAUSING_MS
            and self.s.settings.voice_speculate
        )

    async def run(self) -> None:
        await self.ready()
        self.s.sessions.add(self)
        try:
            while not self._stop.done():
                await self.handle(await self.inbox.next())
            raise Closed(1012, RESUME_HINT)
        finally:
            self.inbox.close()
            self.s.sessions.discard(self)
            self.cancel_response()
            self.drop_speculation()
            self.drop_ahead()
            for task in (self.response, self.partial_task, self.ahead_task):
                if task is not None:
                    await asyncio.gather(task, return_exceptions=True)

    def answering(self) -> bool:
        return self.response is not None and not self.response.done()

    async def handle(self, frame: str | bytes) -> None:
        limit = self.s.settings.voice_max_frame_bytes
        if len(frame) > limit:
            await self.error(
                "frame_too_large", f"frames may be at most {limit} bytes (got {len(frame)})"
            )
            return
        if isinstance(frame, bytes):
            await self.on_audio(frame)
            return
        try:
            message = p.parse_client(frame)
        except InvalidInput as exc:
            await self.error(exc.code, exc.message)
            return
        await self.on_message(message)

    async def on_message(self, message: BaseModel) -> None:
        if isinstance(message, p.Ping):
            await self.send(p.Pong(id=message.id))
        elif isinstance(message, p.InputText):
            await self.begin_turn(TurnInput(0, "text", time.perf_counter(), text=message.text))
        elif isinstance(message, p.InputCommit):
            await self.commit()
        elif isinstance(message, p.ResponseCancel):
            await self.barge_in()
        elif isinstance(message, p.GreetingRequest):
            self.greet()
        elif isinstance(message, p.ActionResult):
            log.debug("action %s: ok=%s %s", message.action_id, message.ok, message.detail)
        elif isinstance(message, p.SessionStart):
            await self.error("already_started", "this session has started already")

    def greet(self) -> None:
        """The site's greeting, spoken once per session and only before the first question;
        stopped like an answer when the visitor talks or types. Skipped when the box is too
        busy to speak answers at once: it must never delay one."""
        text = self.providers.greeting if self.providers else ""
        answering = self.response is not None and not self.response.done()
        if self.greeted or self.state.turns or answering or not text:
            return
        self.greeted = True
        plan = self.s.load.plan()
        if plan.level != "full":
            log.info("greeting not spoken: the box is busy (%s)", plan.level)
            return
        speech = self.providers.for_turn({})[0] if self.providers else self.s.engine
        self.outlet.reset()
        self.response = asyncio.ensure_future(
            say_greeting(
                text,
                MeteredSpeech(speech, self.s.load),
                self.outlet,
                self.start.output_format.sample_rate,
                plan.first_words,
            )
        )

    # --- audio in --------------------------------------------------------------------------

    async def on_audio(self, pcm: bytes) -> None:
        if len(pcm) % 2:
            await self.error("bad_audio", "binary frames are PCM16: an even number of bytes")
            return
        now = time.perf_counter()
        for event in self.vad.feed(pcm, now):
            if event == "speech.started":
                await self.barge_in()  # the visitor talks over the answer: stop it
                self.partial_text, self.last_partial_at, self.partial_upto = "", now, 0
                self.utterances += 1
                self.speculations["discarded"] = 0  # counted per utterance
                self.drop_ahead()
                await self.send(p.SpeechStarted())
            else:
                await self.end_of_speech(now)
        if self.vad.speaking:
            if self.vad.speech_seconds >= self.s.settings.voice_max_turn_seconds:
                self.vad.cut()
                await self.end_of_speech(now)
            else:
                self.speculate()
                if self.heard_a_whole_question():
                    self.vad.stop()
                    await self.end_of_speech(now, early=True)
                    return
                self.maybe_partial(now)

    async def commit(self) -> None:
        if self.vad.stop() is None and not self.vad.utterance:
            await self.error("nothing_to_commit", "no speech since the last turn")
            return
        await self.end_of_speech(time.perf_counter(), committed=True)

    async def end_of_speech(self, now: float, committed: bool = False, early: bool = False) -> None:
        await self.send(p.SpeechStopped())
        draft = self.take_speculation()
        audio = self.vad.take()
        delay = 0.0 if committed else max(now - self.vad.last_voiced_at, 0.0)
        await self.begin_turn(
            TurnInput(
                0,
                "speech",
                now,
                text=self.partial_text,
                audio=audio,
                eos_delay=delay,
                draft=draft,
                discarded=self.speculations["discarded"],
                early=early,
                ahead=self.ahead,
            )
        )

    # --- start before the end (sitespeak.voice.speculation) -------------------------------

    def speculate(self) -> None:
        """Drop the run if speech resumed; start one at the first unvoiced frame of a pause."""
        spec = self.speculation
        if spec is not None and not spec.still_valid(self.vad.voiced_end):
            self.drop_speculation()
            self.speculations["discarded"] += 1
        if self.speculation is None and self.vad.paused and self.s.settings.voice_speculate:
            reach = self.reach()
            if reach is None:
                return
            upto = self.vad.voiced_end
            engine = MeteredSpeech(self.s.engine, self.s.load)
            heard = asyncio.ensure_future(engine.transcribe(bytes(self.vad.utterance[:upto])))
            this = self.utterances
            heard.add_done_callback(lambda done: self.heard_at_pause(done, this, upto))
            task = asyncio.ensure_future(
                prepare(
                    heard,
                    self.state.site_id,
                    engine,
                    self.s.retrieve,
                    self.vet,
                    self.s.load.plan(),
                    reach,
                    list(self.state.history),
                    self.persona,
                    self.s.meaning,
                    self.ahead,
                )
            )
            self.speculation = Speculation(upto, task)

    def heard_a_whole_question(self) -> bool:
        """Silent for the hangover since the last sound, and the speculative run over exactly
        this audio is done and heard a whole question the site answers: no need to wait the
        further ~130 ms webrtcvad takes to call the silence silent."""
        spec = self.speculation
        cfg = self.s.settings
        if (
            spec is None
            or not cfg.voice_early_end
            or self.vad.quiet_ms < cfg.voice_endpoint_silence_ms
        ):
            return False
        draft = spec.finished()
        return draft is not None and spec.still_valid(self.vad.voiced_end) and whole_question(draft)

    def reach(self) -> Reach | None:
        """What may run ahead: only local stages (a provider is not billed for work that may
        be thrown away); None when speech to text is a provider's."""
        if self.providers is None:
            return Reach()
        choice = self.providers.choice
        if choice.stt != "local" or choice.realtime:
            return None
        return Reach(answer=choice.answerer == "local", first_phrase=choice.tts == "local")

    def take_speculation(self) -> asyncio.Future | None:
        spec, self.speculation = self.speculation, None
        if spec is None:
            return None
        if not spec.still_valid(self.vad.voiced_end):
            spec.discard()
            self.speculations["discarded"] += 1
            return None
        self.speculations["used"] += 1
        return spec.task

    def drop_speculation(self) -> None:
        if self.speculation is not None:
            self.speculation.discard()
            self.speculation = None

    def maybe_partial(self, now: float) -> None:
        """A partial transcript every ``voice_partial_interval_ms`` of speech, when the speech
        engine would take it at once. It used to wait until this web process had no speech call
        in flight at all, which with the speculative run at every pause (or one other visitor's
        answer being synthesized) meant the live transcript almost never moved."""
        interval = self.s.settings.voice_partial_interval_ms / 1000
        if interval <= 0 or now - self.last_partial_at < interval:
            return
        own_busy = self.partial_task is not None and not self.partial_task.done()
        speculating = self.speculation is not None and not self.speculation.task.done()
        # Optional work: never queued behind (or ahead of) a wait a final transcript would feel.
        if own_busy or speculating or self.s.load.plan().predicted_wait_ms > PARTIAL_MAX_WAIT_MS:
            return
        self.last_partial_at = now
        self.partial_task = asyncio.ensure_future(self._partial(bytes(self.vad.utterance)))

    async def _partial(self, audio: bytes) -> None:
        this = self.utterances
        text = await self.s.engine.transcribe_partial(audio)
        await self.heard_so_far(text, this, len(audio))
        self.prepare_ahead(text, this)

    # --- the first phrase from a partial transcript (sitespeak.voice.ahead) -----------------

    def prepare_ahead(self, text: str, utterance: int) -> None:
        """Answer what was heard so far and synthesize that answer's first phrase at low
        priority, one at a time per session, while this utterance goes on."""
        if not self.s.settings.voice_phrase_ahead or not self.still_speaking(utterance):
            return
        if not text or (self.ahead_task is not None and not self.ahead_task.done()):
            return
        if self.ahead is not None and self.ahead.heard == text:
            return  # nothing new was heard: the same answer (retrieval and answer cost CPU here)
        reach = self.reach()
        if reach is None or not (reach.answer and reach.first_phrase):
            return  # a provider's answer or voice: nothing is billed for guesses
        if not ahead.worth_it(self.s.load.plan()) or self.others_speaking():
            return
        self.ahead_task = asyncio.ensure_future(self._ahead(text, utterance))

    def others_speaking(self) -> bool:
        """Another visitor of this process is speaking: their decode comes soon, and a guess
        synthesized meanwhile would share the cores with it (ten at once: 1.5x the first audio
        with guesses, measured)."""
        return any(session.vad.speaking for session in self.s.sessions if session is not self)

    def still_speaking(self, utterance: int) -> bool:
        """The visitor is in ``utterance`` and no speculative run has begun: past that, the
        run makes its own first phrase."""
        return utterance == self.utterances and self.vad.speaking and self.speculation is None

    async def _ahead(self, text: str, utterance: int) -> None:
        history = list(self.state.history)
        try:
            passages = await look_up(self.state.site_id, text, self.s.retrieve, history)
            # No page-action vetting and no second look: neither changes what is spoken first
            # in an answer the site covers, and a phrase that differs is simply not used.
            reply = await compose(self.state.site_id, text, passages, None, history, self.persona)
        except Exception as exc:  # noqa: BLE001 - optional work: the turn meets any real error
            log.debug("no first phrase ahead: %s", exc)
            return
        plan = self.s.load.plan()
        chunks = split_answer(reply.speech, plan.first_words)
        if not chunks or not self.still_speaking(utterance) or not ahead.worth_it(plan):
            return
        if self.ahead is not None and self.ahead.text == chunks[0] and not self.ahead.failed:
            self.ahead.heard = text
            return  # the same phrase as the last partial's: already made (or being made)
        self.drop_ahead()
        engine = self.s.engine  # not metered: it waits for an idle speech process, and as a
        # call in flight it would make admission predict a longer wait for every real turn
        phrase = speakable(chunks[0])
        # Below all other work, and only while the speech process has none: a guess must
        # never slow a decode or a phrase someone waits for.
        self.ahead = ahead.start(
            chunks[0], text, lambda: engine.synthesize(phrase, priority=PRIORITY_AHEAD)
        )

    def drop_ahead(self) -> None:
        if self.ahead is not None:
            self.ahead.drop()
            self.ahead = None

    def heard_at_pause(self, decode: asyncio.Future[str], utterance: int, upto: int) -> None:
        """The speculative run's decode is done (the run itself may have been discarded)."""
        if decode.cancelled() or decode.exception() is not None or self.closing:
            return
        task = self.heard_so_far(decode.result(), utterance, upto)
        self.partial_task = asyncio.ensure_future(task)

    async def heard_so_far(self, text: str, utterance: int, upto: int) -> None:
        """The live transcript, from a partial or from a pause's decode: sent while the visitor
        is still in the utterance it heard, never older than one already sent, never twice."""
        if not text or not self.vad.speaking or utterance != self.utterances:
            return
        if upto <= self.partial_upto:
            return
        self.partial_upto = upto
        if text != self.partial_text:
            self.partial_text = text
            try:
                await self.send(p.TranscriptPartial(text=text))
            except Exception:  # noqa: BLE001 - the socket closed meanwhile: nothing to tell
                log.debug("live transcript not sent: the session is gone")

    # --- turns -----------------------------------------------------------------------------

    async def begin_turn(self, turn: TurnInput) -> None:
        if self.closing:  # draining: the turn in flight may finish, no new one starts here
            if turn.draft is not None:
                turn.draft.cancel()
            await self.error("server_closing", "the server is restarting; " + RESUME_HINT)
            return
        try:
            refusal = await self.s.limiter.refusal(self.state.session_id, self.client_ip)
        except Exception as exc:
            if outage_from(exc) is None:
                raise
            # Fail open: a visitor mid-conversation is not cut off because the limiter's
            # counters (Redis) are away for a moment; the per-IP and per-session caps return
            # with Redis.
            log.warning("turn limiter unavailable (%s); letting the turn through", exc)
            refusal = None
        if refusal:
            if turn.draft is not None:
                turn.draft.cancel()
            await self.error("rate_limited", refusal)
            return
        await self.barge_in()
        self.state.turns += 1
        turn.seq = self.state.turns
        turn.plan = self.s.load.plan()
        self.outlet.reset()
        self.response = asyncio.ensure_future(self._respond(turn))

    async def _respond(self, turn: TurnInput) -> None:
        result = TurnResult(turn.seq, turn.mode)
        speech, answer_with = (
            self.providers.for_turn(result.notes) if self.providers else (self.s.engine, None)
        )
        try:
            await run_turn(
                turn,
                result,
                self.state.site_id,
                MeteredSpeech(speech, self.s.load),
                self.s.retrieve,
                self.outlet,
                self.start.output_format.sample_rate,
                self.vet,
                answer_with=answer_with,
                history=self.state.history,
                persona=self.persona,
                meaning=self.s.meaning,
            )
        except asyncio.CancelledError:
            result.interrupted = True
        except Exception:  # noqa: BLE001 - one failed turn must not end the session
            log.exception("voice turn %s of %s failed", turn.seq, self.state.session_id)
            await self.error("turn_failed", "this turn failed on the server; please try again")
            return
        await self.finish(result)

    async def finish(self, result: TurnResult) -> None:
        self.state.remember(result.transcript, result.answer)
        await self.s.on_turn(self.state, result)  # metrics and the stored turn first: quick
        await self.send(result.done_event())
        try:
            await self.s.store.save(self.state)
        except Exception as exc:
            if outage_from(exc) is None:
                raise
            # The answer went out; only resuming from this turn is lost for now. Say so, and
            # save again after the next turn.
            log.warning("session %s not saved: %s", self.state.session_id, exc)
            await self.error(
                "resume_unavailable",
                "this turn was answered but could not be saved for resuming; the session goes on",
            )

    def cancel_response(self) -> None:
        if self.response is not None and not self.response.done():
            self.response.cancel()

    async def barge_in(self) -> None:
        """Stop the answer now; its response.done (interrupted) goes out before we return."""
        task = self.response
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
