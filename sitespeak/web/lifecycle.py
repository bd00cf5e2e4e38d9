"""Start, drain and stop of a web process: event-loop lag, the SIGTERM hook, open sessions.

Granian stops its worker on SIGTERM through a handler on the event loop. We chain ours in front
of it, and drain in three steps, all inside ``shutdown_grace`` (after which Granian kills):

1. readiness turns 503 and new voice sessions are refused, but everything else is served for
   ``drain_delay`` seconds, so a load balancer polling readiness sees it and stops sending;
2. open sessions are told to stop: a turn in flight may finish, no new one starts;
3. each session gets ``session.closing`` and a 1012 close with the resume hint, SSE streams end,
   and only then does Granian stop listening.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# Called with the loop time by which turns in flight must be done (the goodbye comes after).
CloseHook = Callable[[float], Awaitable[None]]
# Kept back from the grace for the goodbyes and Granian's own stop.
MARGIN = 1.0


class Lifecycle:
    def __init__(self, grace: float, delay: float = 0.0) -> None:
        self.grace = grace
        self.delay = delay
        self.draining = False  # readiness 503 from SIGTERM on
        self.closing = False  # sessions and streams are being closed (after the delay)
        self.started = time.time()
        self.lag = 0.0
        self._close_hooks: set[CloseHook] = set()
        self._all_gone = asyncio.Event()  # set when draining and the last hook unregistered
        self._tasks: list[asyncio.Task] = []

    def on_drain(self, hook: CloseHook) -> Callable[[], None]:
        """Register a coroutine run when draining starts (an open session's goodbye)."""
        self._close_hooks.add(hook)

        def unregister() -> None:
            self._close_hooks.discard(hook)
            if self.closing and not self._close_hooks:
                self._all_gone.set()

        return unregister

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
        loop = asyncio.get_running_loop()
        end = loop.time() + max(self.grace - MARGIN, 0.5)  # the goodbyes are sent by then
        delay = min(self.delay, max(end - loop.time() - MARGIN, 0.0))
        log.info("draining: readiness 503, still serving for %.1fs", delay)
        await asyncio.sleep(delay)
        self.closing = True
        hooks = list(self._close_hooks)
        log.info("draining: closing %d open sessions and streams", len(hooks))
        if hooks:
            turns_by = end - MARGIN / 2
            tasks = [asyncio.ensure_future(h(turns_by)) for h in hooks]
            await asyncio.wait(tasks, timeout=max(end - loop.time(), 0.1))
            # A hook returns once its goodbye is sent; the socket's close frame goes out when
            # its handler unwinds. Stopping Granian before that drops the connection without
            # a close frame, and the visitor never gets the resume hint.
            if self._close_hooks:
                gone = asyncio.ensure_future(self._all_gone.wait())
                await asyncio.wait((gone,), timeout=max(end - loop.time(), 0.1))
                gone.cancel()
            if self._close_hooks:
                # The grace is what bounds the stop, not a stuck handler: said so, so a stop
                # that took the whole grace is told from one that found every socket closed.
                log.warning(
                    "draining: %d sessions or streams still open at the end of the grace",
                    len(self._close_hooks),
                )
        log.info("draining done: stopping")
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
