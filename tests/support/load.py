"""A bounded load for the fault suite, run in a thread while a test breaks something: voice
sessions taking text turns (reconnecting with their resume id when closed), API calls submitting
jobs, and a readiness poller. It records what users would see: status codes, acknowledged jobs,
every voice turn, error event and close (with its code and reason)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

TOLD = (1011, 1012, 1013)  # a close that says why (with an error event or session.closing first)


@dataclass
class Visitor:
    turns: list[float] = field(default_factory=list)  # when each answered turn ended
    errors: list[str] = field(default_factory=list)  # error event codes
    closes: list[tuple[int, str]] = field(default_factory=list)
    sessions: int = 0
    resumed: int = 0
    refused: int = 0  # connections that could not start (told why)

    def untold_closes(self) -> list[tuple[int, str]]:
        return [(code, why) for code, why in self.closes if code not in TOLD or not why]


@dataclass
class Observed:
    api: Counter = field(default_factory=Counter)  # status codes of the API calls
    acknowledged: list[str] = field(default_factory=list)  # job ids answered 201
    ready: list[tuple[float, int]] = field(default_factory=list)
    visitors: list[Visitor] = field(default_factory=list)

    def summary(self) -> str:
        turns = sum(len(v.turns) for v in self.visitors)
        closes = sum(len(v.closes) for v in self.visitors)
        return (
            f"API {dict(self.api)}, {len(self.acknowledged)} jobs acknowledged; "
            f"{len(self.visitors)} voice sessions: {turns} turns, {closes} closes, "
            f"{sum(v.resumed for v in self.visitors)} resumed, "
            f"errors {Counter(e for v in self.visitors for e in v.errors)}"
        )


class Load:
    def __init__(
        self, web_url: str, token: str, origin: str, site_key: str, visitors: int = 2
    ) -> None:
        self.url, self.token, self.origin, self.key = web_url, token, origin, site_key
        self.seen = Observed(visitors=[Visitor() for _ in range(visitors)])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)

    async def _main(self) -> None:
        await asyncio.gather(
            self._poll_ready(), self._submit_jobs(), *(self._talk(v) for v in self.seen.visitors)
        )

    async def _poll_ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            while not self._stop.is_set():
                try:
                    status = (await client.get("/health/ready")).status_code
                except httpx.HTTPError:
                    status = 0
                self.seen.ready.append((time.monotonic(), status))
                await asyncio.sleep(0.2)

    async def _submit_jobs(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30) as client:
            while not self._stop.is_set():
                body = {"name": "echo", "idempotency_key": f"load-{uuid.uuid4().hex}"}
                try:
                    answer = await client.post("/api/v1/jobs", json=body)
                    self.seen.api[answer.status_code] += 1
                    if answer.status_code == 201:
                        self.seen.acknowledged.append(answer.json()["id"])
                    self.seen.api[(await client.get("/api/v1/sites")).status_code] += 1
                except httpx.HTTPError as exc:
                    self.seen.api[type(exc).__name__] += 1
                await asyncio.sleep(0.3)

    async def _talk(self, visitor: Visitor) -> None:
        resume_id = None
        ws_url = self.url.replace("http://", "ws://") + "/voice-ws"
        while not self._stop.is_set():
            try:
                ws = await connect(ws_url, origin=self.origin, max_size=8 * 1024 * 1024)
            except (OSError, InvalidStatus):
                await asyncio.sleep(0.5)
                continue
            start = {"type": "session.start", "site_key": self.key, "page_url": self.origin + "/"}
            if resume_id:
                start["resume_id"] = resume_id
            try:
                await ws.send(json.dumps(start))
                ready = await self._event(ws)
                if ready["type"] != "session.ready":
                    visitor.refused += 1
                    visitor.errors.append(ready.get("code", ready["type"]))
                    await self._event(ws)  # the close that follows
                    continue
                visitor.sessions += 1
                visitor.resumed += bool(ready["resumed"])
                resume_id = ready["resume_id"]
                while not self._stop.is_set():
                    await self._turn(ws, visitor)
                    await asyncio.sleep(0.5)
                await ws.close()
            except ConnectionClosed as closed:
                rcvd = closed.rcvd
                visitor.closes.append((rcvd.code, rcvd.reason) if rcvd else (1006, ""))
                await asyncio.sleep(0.5)
            except TimeoutError:
                visitor.closes.append((0, "no answer within 60 s"))
                await ws.close()

    async def _turn(self, ws, visitor: Visitor) -> None:
        await ws.send(json.dumps({"type": "input.text", "text": "When are you open on Sunday?"}))
        while True:
            event = await self._event(ws)
            if event["type"] == "error":
                visitor.errors.append(event["code"])
                if event["code"] in ("rate_limited", "turn_failed", "server_closing"):
                    return  # no answer comes for this turn
            elif event["type"] == "response.done":
                visitor.turns.append(time.monotonic())
                return

    @staticmethod
    async def _event(ws) -> dict:
        while True:
            frame = await asyncio.wait_for(ws.recv(), 60)
            if isinstance(frame, str):
                return json.loads(frame)
