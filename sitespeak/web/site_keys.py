"""The widget's publishable keys, looked up once and kept for ``ttl`` seconds, so a busy site
costs no query per beacon. One ``SiteKeys`` per web process, built by ``create_app``.

A site whose key, origins or settings change, or that is deleted, leaves the cache when its
``site.changed`` event arrives: the domain functions that change a site announce it, whoever
calls them (this process, another web process, the CLI, a worker)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from sitespeak.events.bus import Event, EventType
from sitespeak.web.voice_ws import SiteRef

KEY_TTL = 30.0  # seconds; a missed event (Redis away) is outlived by no more than this
MAX_KEYS = 10_000  # a flood of made-up keys must not grow the cache without bound

Lookup = Callable[[str], Awaitable[SiteRef | None]]


class SiteKeys:
    def __init__(self, lookup: Lookup, ttl: float = KEY_TTL) -> None:
        self._lookup = lookup
        self.ttl = ttl
        self._keys: dict[str, tuple[float, SiteRef | None]] = {}
        # How many times entries were dropped: a lookup that overlapped a drop is not kept.
        self._forgets = 0

    async def site_for(self, key: str) -> SiteRef | None:
        now = time.monotonic()
        cached = self._keys.get(key)
        if cached and cached[0] > now:
            return cached[1]
        forgotten = self._forgets
        site = await self._lookup(key)
        if self._forgets != forgotten:
            return site  # read before a change may have landed: used once, never cached
        if len(self._keys) > MAX_KEYS:
            self._keys.clear()
        self._keys[key] = (now + self.ttl, site)
        return site

    def forget(self, site_id: int) -> None:
        self._forgets += 1
        for key in [k for k, (_, s) in self._keys.items() if s is not None and s.id == site_id]:
            self._keys.pop(key, None)

    def on_event(self, event: Event) -> None:
        if event.type == EventType.SITE_CHANGED:
            self.forget(int(event.data.get("site_id") or 0))

    async def resync(self) -> None:
        """After a (re)subscription: a change may have been missed, so nothing cached is kept."""
        self._forgets += 1
        self._keys.clear()
