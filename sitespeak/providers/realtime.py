"""The Realtime bridge: a voice session whose audio goes to the OpenAI Realtime API (server VAD,
a search_site tool running our retrieval) and whose events come back as our protocol.

It is a LiveSession, so frame limits, errors, ping, idle timeout, drain and resume are the
same code; only audio in, text turns, barge-in and the turn itself go through the model. If the
Realtime connection cannot be opened, the session runs the ordinary turn pipeline instead.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any

from sitespeak.providers.prompt import RULES, catalog_block, passage_block
from sitespeak.providers.session import SessionProviders
from sitespeak.voice import protocol as p
from sitespeak.voice.answer import _citations
from sitespeak.voice.audio import StreamResampler
from sitespeak.voice.live import LiveSession, Services, Wire
from sitespeak.voice.session import SessionState
from sitespeak.voice.timings import Timing
from sitespeak.voice.turn import TurnResult

log = logging.getLogger(__name__)
RATE = 24000  # Realtime PCM16
SEARCH_TOOL = {
    "type": "function",
    "name": "search_site",
    "description": "Search this website's pages for passages.",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
}


class RealtimeSession(LiveSession):
    providers: SessionProviders  # never None: the site chose the Realtime provider

    def __init__(
        self,
        services: Services,
        wire: Wire,
        state: SessionState,
        resumed: bool,
        start: p.SessionStart,
        client_ip: str,
        providers: SessionProviders,
        ack_sound: bool = True,
    ) -> None:
        super().__init__(services, wire, state, resumed, start, client_ip, providers, ack_sound)
        self.conn: Any = None
        self.turn: TurnResult | None = None
        self.origin = 0.0  # perf_counter at the end of speech of the current turn
        self.audio: asyncio.Queue[bytes | None] = asyncio.Queue()
        # Chunked audio both ways: stream resamplers keep the filter state across chunk edges.
        self.upsample = StreamResampler(start.input_format.sample_rate, RATE)
        self.downsample = StreamResampler(RATE, start.output_format.sample_rate)
        self.pump: asyncio.Task | None = None
        self.item_id, self.sent_ms, self.played_from = "", 0.0, 0.0
        self.text = ""
        self.finishing: asyncio.Task | None = None

    async def run(self) -> None:
        choice, client = self.providers.choice, self.providers.client
        assert client is not None  # a Realtime choice uses OpenAI: the session has its client
        try:
            manager = client.realtime.connect(model=choice.realtime_model)
            self.conn = await asyncio.wait_for(
                manager.enter(), self.s.settings.openai_first_token_budget * 2
            )
            await self.conn.session.update(session=self._session_config())
        except Exception as exc:  # noqa: BLE001 - any failure: the local pipeline serves instead
            log.warning(
                "realtime bridge unavailable (%s); using the turn pipeline", type(exc).__name__
            )
            self.conn = None
            await super().run()
            return
        reader = asyncio.ensure_future(self._upstream())
        try:
            await super().run()
        finally:
            reader.cancel()
            await self._stop_audio()
            await asyncio.gather(reader, return_exceptions=True)
            await self.conn.close()

    def _session_config(self) -> dict[str, Any]:
        choice = self.providers.choice
        audio_format = {"type": "audio/pcm", "rate": RATE}
        return {
            "type": "realtime",
            "model": choice.realtime_model,
            "instructions": f"{RULES}\n\nCatalog\n{catalog_block(self.providers.catalog)}",
            "output_modalities": ["audio"],
            "tools": [SEARCH_TOOL],
            "tool_choice": "auto",
            "audio": {
                "input": {
                    "format": audio_format,
                    "transcription": {"model": choice.stt_model},
                    "turn_detection": {
                        "type": "server_vad",
                        "silence_duration_ms": self.s.settings.voice_endpoint_silence_ms,
                    },
                },
                "output": {"format": audio_format, "voice": choice.voice},
            },
        }

    # --- client -> model -------------------------------------------------------------------

    async def on_audio(self, pcm: bytes) -> None:
        if self.conn is None:
            return await super().on_audio(pcm)
        if len(pcm) % 2:
            return await self.error("bad_audio", "binary frames are PCM16: an even number of bytes")
        up = self.upsample.feed(pcm)
        await self.conn.input_audio_buffer.append(audio=base64.b64encode(up).decode())

    async def on_message(self, message: Any) -> None:
        if self.conn is None or not isinstance(
            message, (p.InputText, p.InputCommit, p.ResponseCancel)
        ):
            return await super().on_message(message)
        if isinstance(message, p.ResponseCancel):
            await self.interrupt()
        elif isinstance(message, p.InputCommit):
            await self.conn.input_audio_buffer.commit()
        elif await self._new_turn("text", message.text):
            await self.conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": message.text}],
                }
            )
            await self.conn.response.create()

    async def _new_turn(self, mode: str, transcript: str = "") -> bool:
        refusal = await self.s.limiter.refusal(self.state.session_id, self.client_ip)
        if refusal:
            await self.error("rate_limited", refusal)
            return False
        await self.interrupt()
        self.state.turns += 1
        self.turn = TurnResult(self.state.turns, mode, transcript=transcript)
        self.turn.notes.update(self.providers.record())
        self.origin, self.text = time.perf_counter(), ""
        state = "heard_you" if mode == "speech" else "answering"
        await self.send(p.ResponseStarted(turn=self.turn.seq, state=state, transcript=transcript))
        self._mark(Timing.EOS_TO_STARTED)
        return True

    # --- model -> client -------------------------------------------------------------------

    async def _upstream(self) -> None:
        try:
            async for event in self.conn:
                await self._on_event(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - tell the visitor, keep the socket
            log.warning("realtime upstream ended: %s", type(exc).__name__)
            await self.error(
                "provider_unavailable",
                "the voice model disconnected; please reconnect",
                fatal=False,
            )

    async def _on_event(self, event: Any) -> None:
        kind = event.type
        if kind == "input_audio_buffer.speech_started":
            await self.interrupt()
            await self.send(p.SpeechStarted())
        elif kind == "input_audio_buffer.speech_stopped":
            await self.send(p.SpeechStopped())
            await self._new_turn("speech")
        elif kind == "conversation.item.input_audio_transcription.completed" and self.turn:
            self.turn.transcript = event.transcript or ""
            self._mark(Timing.STT)
            await self.send(p.TranscriptFinal(text=self.turn.transcript))
        elif kind == "response.function_call_arguments.done":
            await self._tool(event)
        elif kind == "response.output_audio_transcript.delta" and self.turn:
            self.text += event.delta or ""
            await self.send(p.ResponseTextDelta(turn=self.turn.seq, text=event.delta or ""))
        elif kind == "response.output_audio.delta" and self.turn:
            self._start_pump(event.item_id)
            self.audio.put_nowait(self.downsample.feed(base64.b64decode(event.delta)))
        elif kind == "response.done":
            await self._response_done(event.response)
        elif kind == "error":
            message = getattr(event.error, "message", "") or "provider error"
            log.warning("realtime error event: %s", message[:200])

    async def _tool(self, event: Any) -> None:
        import json

        started = time.perf_counter()
        try:
            query = str(json.loads(event.arguments or "{}").get("query", ""))[:300]
        except ValueError:
            query = ""
        found = await self.s.retrieve(self.state.site_id, query, 5) if query else []
        if self.turn is not None:
            self.turn.citations = _citations(found[:2])
            self.turn.covered = bool(found)
            self.turn.timings[Timing.TOOL_SEARCH_SITE] = round(
                (time.perf_counter() - started) * 1000, 2
            )
        await self.conn.conversation.item.create(
            item={
                "type": "function_call_output",
                "call_id": event.call_id,
                "output": passage_block(found) or "No passages matched.",
            }
        )
        await self.conn.response.create()

    def _start_pump(self, item_id: str) -> None:
        if self.pump is None or self.pump.done():
            self.item_id, self.sent_ms, self.played_from = item_id, 0.0, 0.0
            self.downsample = StreamResampler(RATE, self.start.output_format.sample_rate)
            self.outlet.reset()
            self.pump = asyncio.ensure_future(self._play())

    async def _play(self) -> None:
        rate = self.start.output_format.sample_rate
        while (pcm := await self.audio.get()) is not None:
            if not pcm:
                continue  # the resampler holds back a few samples at first
            if not self.played_from:
                self.played_from = time.perf_counter()
                self._mark(Timing.EOS_TO_FIRST_AUDIO)
            await self.outlet.audio(pcm)
            self.sent_ms += len(pcm) / 2 / rate * 1000

    async def _response_done(self, response: Any) -> None:
        outputs = getattr(response, "output", None) or []
        if any(getattr(o, "type", "") == "function_call" for o in outputs):
            return  # a tool round; the answer follows
        turn = self.turn
        if turn is None or getattr(response, "status", "") == "cancelled":
            return
        # Play what is queued, then finish the turn, without blocking the event reader: the
        # visitor may still barge in while the tail plays.
        self.finishing = asyncio.ensure_future(self._complete(turn))

    async def _complete(self, turn: TurnResult) -> None:
        if self.pump is not None:
            self.audio.put_nowait(self.downsample.feed(b"", last=True))  # the filter's tail
            self.audio.put_nowait(None)
            await asyncio.gather(self.pump, return_exceptions=True)
        if self.turn is not turn:
            return  # interrupted meanwhile
        self.turn = None
        turn.spoken = [self.text.strip()] if self.text.strip() else []
        self._mark(Timing.TOTAL, turn)
        await self.finish(turn)

    # --- barge-in --------------------------------------------------------------------------

    def heard_ms(self) -> float:
        """Audio the visitor has heard: sent, minus what is still ahead of real time."""
        if not self.played_from:
            return 0.0
        return min(self.sent_ms, (time.perf_counter() - self.played_from) * 1000)

    async def interrupt(self) -> None:
        turn, self.turn = self.turn, None
        playing = self.pump is not None and not self.pump.done()
        heard = self.heard_ms()
        await self._stop_audio()
        if turn is None:
            return
        if self.finishing is not None and not self.finishing.done():
            await asyncio.gather(self.finishing, return_exceptions=True)
        if playing and self.item_id:
            await self.conn.conversation.item.truncate(
                item_id=self.item_id, content_index=0, audio_end_ms=int(heard)
            )
            await self.conn.response.cancel()
        total = max(self.sent_ms, heard, 1.0)
        kept = self.text[: int(len(self.text) * min(heard / total, 1.0))]
        turn.spoken = [kept.rsplit(" ", 1)[0]] if " " in kept else []
        turn.interrupted = True
        turn.timings[Timing.HEARD] = round(heard, 2)
        self._mark(Timing.TOTAL, turn)
        await self.finish(turn)

    async def _stop_audio(self) -> None:
        if self.pump is not None and not self.pump.done():
            self.pump.cancel()
            await asyncio.gather(self.pump, return_exceptions=True)
        self.pump = None
        self.audio = asyncio.Queue()

    def _mark(self, name: Timing, turn: TurnResult | None = None) -> None:
        turn = turn or self.turn
        if turn is not None:
            turn.timings.setdefault(name, round((time.perf_counter() - self.origin) * 1000, 2))
