"""The Realtime WebSocket of the fake OpenAI server: server VAD on the PCM16 24 kHz audio it is
sent, a transcript (the fake's ``transcript``), a search_site tool call, then an answer spoken as
a tone with its transcript, cancelled when the visitor speaks again (barge-in)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection, serve

RATE = 24000
CHUNK_MS = 100


class RealtimeFake:
    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.events: list[dict[str, Any]] = []  # every client event, audio elided
        self.connections = 0
        self.headers: list[dict[str, str]] = []

    def reset(self) -> None:
        self.events.clear()
        self.headers.clear()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]

    @contextmanager
    def serving(self) -> Iterator[str]:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        holder: dict[str, Any] = {}

        async def main() -> None:
            holder["server"] = await serve(self._session, "127.0.0.1", 0, max_size=2**24)
            holder["stop"] = asyncio.Event()
            started.set()
            await holder["stop"].wait()
            holder["server"].close()

        thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
        thread.start()
        started.wait(10)
        port = holder["server"].sockets[0].getsockname()[1]
        try:
            yield f"ws://127.0.0.1:{port}/v1"
        finally:
            loop.call_soon_threadsafe(holder["stop"].set)
            thread.join(5)

    async def _session(self, ws: ServerConnection) -> None:
        self.connections += 1
        self.headers.append({k.lower(): v for k, v in ws.request.headers.raw_items()})
        await Conversation(self, ws).run()


class Conversation:
    def __init__(self, owner: RealtimeFake, ws: ServerConnection) -> None:
        self.owner, self.ws = owner, ws
        self.speaking, self.silent_ms, self.answering = False, 0.0, None
        self.counter = 0
        self.question, self.tool_output = "", None

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    async def send(self, event: dict[str, Any]) -> None:
        event.setdefault("event_id", self.next_id("event"))
        await self.ws.send(json.dumps(event))

    async def run(self) -> None:
        await self.send(
            {"type": "session.created", "session": {"id": "sess_fake", "type": "realtime"}}
        )
        async for raw in self.ws:
            event = json.loads(raw)
            kind = event.get("type", "")
            logged = dict(event)
            if kind == "input_audio_buffer.append":
                logged["audio"] = f"<{len(event.get('audio', ''))} b64 chars>"
            self.owner.events.append(logged)
            await self.on_event(kind, event)

    async def on_event(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "session.update":
            await self.send({"type": "session.updated", "session": event.get("session", {})})
        elif kind == "input_audio_buffer.append":
            await self.vad(base64.b64decode(event["audio"]))
        elif kind == "conversation.item.create":
            item = event["item"]
            if item.get("type") == "message":
                self.question = item["content"][0]["text"]
            else:
                self.tool_output = item.get("output", "")
        elif kind == "response.create":
            self.answering = asyncio.ensure_future(self.respond())
        elif kind == "response.cancel":
            await self.cancel()

    async def vad(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
        loud = len(samples) and float(np.sqrt(np.mean(samples**2))) > 300
        ms = len(samples) * 1000 / RATE
        if loud and not self.speaking:
            self.speaking, self.silent_ms = True, 0.0
            await self.send(
                {
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": 0,
                    "item_id": self.next_id("item"),
                }
            )
            await self.cancel()  # server VAD interrupts the answer being spoken
        elif self.speaking:
            self.silent_ms = 0.0 if loud else self.silent_ms + ms
            if self.silent_ms >= 300:
                self.speaking = False
                await self.end_of_speech()

    async def end_of_speech(self) -> None:
        item = self.next_id("item")
        await self.send(
            {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 0, "item_id": item}
        )
        await self.send(
            {"type": "input_audio_buffer.committed", "item_id": item, "previous_item_id": None}
        )
        self.question = self.owner.fake.transcript
        await self.send(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item,
                "content_index": 0,
                "transcript": self.question,
            }
        )
        self.tool_output = None
        self.answering = asyncio.ensure_future(self.respond())

    async def cancel(self) -> None:
        task = self.answering
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def respond(self) -> None:
        from tests.support.fake_openai import best_sentence, tone

        response = self.next_id("resp")
        await self.send(
            {"type": "response.created", "response": {"id": response, "status": "in_progress"}}
        )
        if self.tool_output is None:  # first round: search the site
            call = self.next_id("call")
            args = json.dumps({"query": self.question})
            await self.send(
                {
                    "type": "response.function_call_arguments.done",
                    "response_id": response,
                    "item_id": self.next_id("item"),
                    "output_index": 0,
                    "call_id": call,
                    "name": "search_site",
                    "arguments": args,
                }
            )
            await self.send(
                {
                    "type": "response.done",
                    "response": {
                        "id": response,
                        "status": "completed",
                        "output": [
                            {
                                "type": "function_call",
                                "call_id": call,
                                "name": "search_site",
                                "arguments": args,
                            }
                        ],
                    },
                }
            )
            return
        found = best_sentence(self.question, self.tool_output)
        text = found[1] if found else "Sorry, this site does not say."
        item = self.next_id("item")
        status = "cancelled"
        try:
            pcm = tone(max(0.07 * len(text), 1.0))
            step = RATE * 2 * CHUNK_MS // 1000
            pieces = text.split(" ")
            for index in range(0, len(pcm), step):
                await self.send(
                    {
                        "type": "response.output_audio.delta",
                        "response_id": response,
                        "item_id": item,
                        "output_index": 0,
                        "content_index": 0,
                        "delta": base64.b64encode(pcm[index : index + step]).decode(),
                    }
                )
                if pieces:
                    await self.send(
                        {
                            "type": "response.output_audio_transcript.delta",
                            "response_id": response,
                            "item_id": item,
                            "output_index": 0,
                            "content_index": 0,
                            "delta": pieces.pop(0) + " ",
                        }
                    )
                await asyncio.sleep(0)
            status = "completed"
        finally:
            self.tool_output = None
            await asyncio.shield(
                self.send(
                    {
                        "type": "response.done",
                        "response": {
                            "id": response,
                            "status": status,
                            "output": [{"type": "message", "id": item, "role": "assistant"}],
                        },
                    }
                )
            )
