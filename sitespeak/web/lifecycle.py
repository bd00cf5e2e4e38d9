"""Start, drain and stop of a web process: event-loop lag, the SIGTERM hook, open sessions.

Granian stops its worker on SIGTERM through a handler on the event loop. We chain ours in front
of it so that, before Granian stops listening, readiness turns 503, new WebSocket sessions are
refused and open ones are told the server is closing.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

CloseHook = Callable[[], Awaitable[None]]


class Lifecycle:
    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.draining = False
        self.started = time.time()
        self.lag = 0.0
        self._close_hooks: set[CloseHook] = set()
        self._tasks: list[asyncio.Task] = []

    def on_drain(self, hook: CloseHook) -> Callable[[], None]:
        """Register a coroutine run when draining starts (an open session's goodbye)."""
        self._close_hooks.add(hook)
        return lambda: self._close_hooks.discard(hook)

    def install(self, on_lag: Callable[[float], None]) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._measure_lag(on_lag)))
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._chain_signal(loop, sig)

    def _chain_signal(self, loop: asyncio.AbstractEventLoop, sig: signal.Signals) -> None:
        # asyncio keeps no public getter for a loop's signal handler; Granian's is a Handle there.
        previous = getattr(loop, "_signal_handlers", {}).get(sig)

        def handler() -> None:
            loop.create_task(self.drain(previous))

        try:
            loop.add_signal_handler(sig, handler)
        except (NotImplementedError, RuntimeError):
            log.warning("cannot hook %s; draining starts only when the server stops", sig.name)

    async def drain(self, previous: asyncio.Handle | None = None) -> None:
        if self.draining:
            return
        self.draining = True
        log.info("draining: readiness 503, telling %d open sessions", len(self._close_hooks))
        hooks = list(self._close_hooks)
        if hooks:
            await asyncio.wait(
                [asyncio.ensure_future(h()) for h in hooks], timeout=min(2.0, self.grace / 2)
            )
        if previous is not None:
            previous._run()

    async def _measure_lag(self, on_lag: Callable[[float], None], every: float = 0.25) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(every)
            self.lag = max(loop.time() - start - every, 0.0)
            on_lag(self.lag)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
