"""One Redis subscription per web process, fanned out to in-process listeners (SSE, caches).

If Redis goes away the hub resubscribes by itself with backoff; after every (re)subscription it
calls the resync hooks, so state that depends on events (a knowledge cache) re-reads what it may
have missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from sitespeak.events.bus import Event, channel

log = logging.getLogger(__name__)
Listener = Callable[[Event], Awaitable[None] | None]


class EventHub:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._channel = channel(prefix)
        self._queues: set[asyncio.Queue[Event | None]] = set()
        self._listeners: list[Listener] = []
        self._resync: list[Callable[[], Awaitable[None]]] = []
        self.connected = False
        self.subscriptions = 0
        self._task: asyncio.Task | None = None

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def on_resync(self, hook: Callable[[], Awaitable[None]]) -> None:
        self._resync.append(hook)

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[Event | None]:
        """A queue of the events to come; None in it is for its reader's own wake-up call."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=maxsize)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._queues.discard(queue)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        delay = 0.1
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self.connected, delay = True, 0.1
                    self.subscriptions += 1
                    await self._call_resync()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any drop: resubscribe
                if self.connected:
                    log.warning("event subscription lost (%s); resubscribing", exc)
            self.connected = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _call_resync(self) -> None:
        for hook in self._resync:
            try:
                await hook()
            except Exception:  # noqa: BLE001
                log.exception("resync hook failed")

    async def _dispatch(self, raw: bytes | str) -> None:
        event = Event.from_json(raw)
        if event is not None:
            await self.deliver(event)

    async def deliver(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                outcome = listener(event)
                if asyncio.iscoroutine(outcome):
                    await outcome
            except Exception:  # noqa: BLE001
                log.exception("event listener failed")
        for queue in list(self._queues):
            if queue.full():  # a stuck client loses its oldest event, never blocks the hub
                queue.get_nowait()
            queue.put_nowait(event)
