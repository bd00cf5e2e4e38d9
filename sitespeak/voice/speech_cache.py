"""Synthesized sentences kept for reuse. Extractive answers repeat word for word (every visitor
asking about Sunday hears the same sentence), so most answers need no synthesis at all.

Identical requests in flight share one synthesis, and a synthesis a barge-in abandoned still
finishes into the cache: the work is not wasted.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable

Audio = tuple[bytes, int]  # PCM16, sample rate


class SentenceCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = 0
        self._done: OrderedDict[str, Audio] = OrderedDict()
        self._pending: dict[str, asyncio.Future] = {}

    async def get(self, sentence: str, make: Callable[[], Awaitable[Audio]]) -> Audio:
        return (await self.fetch(sentence, make))[0]

    async def fetch(
        self, sentence: str, make: Callable[[], Awaitable[Audio]]
    ) -> tuple[Audio, bool]:
        """The audio, and whether it was already made (a hit: no synthesis waited for)."""
        if sentence in self._done:
            self.hits += 1
            self._done.move_to_end(sentence)
            return self._done[sentence], True
        pending = self._pending.get(sentence)
        if pending is None:
            self.misses += 1
            pending = asyncio.ensure_future(make())
            self._pending[sentence] = pending
            pending.add_done_callback(lambda f: self._settle(sentence, f))
        return await asyncio.shield(pending), False

    def put(self, sentence: str, audio: Audio) -> None:
        """Audio made elsewhere (kept on disk across a restart): neither a hit nor a miss."""
        if self.max_bytes and sentence not in self._done:
            self._store(sentence, audio)

    def _settle(self, sentence: str, future: asyncio.Future) -> None:
        self._pending.pop(sentence, None)
        if future.cancelled() or future.exception() is not None or not self.max_bytes:
            return
        self._store(sentence, future.result())

    def _store(self, sentence: str, audio: Audio) -> None:
        self._done[sentence] = audio
        self.bytes += len(audio[0])
        while self.bytes > self.max_bytes and self._done:
            _, (pcm, _) = self._done.popitem(last=False)
            self.bytes -= len(pcm)
