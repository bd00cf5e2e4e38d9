"""A voice session's client frames, one at a time, with the idle limit and the drain's stop.

Waiting for a frame used to make a task and an ``asyncio.wait`` (with its timer) per frame so
that the idle limit and the server's drain could end the wait: ~16 µs per 20 ms frame, 50 frames
a second per speaking visitor. Here the wait is a plain ``await``; one timer per session checks
the idle limit, and the drain (or the idle limit) ends a wait by cancelling the waiting task and
turning that cancellation into the session's ``Closed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Inbox:
    def __init__(
        self,
        receive: Callable[[], Awaitable[str | bytes]],
        idle: float,
        busy: Callable[[], bool],
        idle_ending: Callable[[float], Exception],
    ) -> None:
        self._receive, self._idle, self._busy = receive, idle, busy
        self._idle_ending = idle_ending  # the exception a wait longer than ``idle`` ends with
        self._task: asyncio.Task | None = None
        self._since: float | None = None  # loop time the current wait began; None: not waiting
        self._ending: Exception | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def next(self) -> str | bytes:
        """The next client frame; the ending (idle, drain) when the wait was ended."""
        if self._ending is not None:
            raise self._ending
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._since = loop.time()
        if self._timer is None:
            self._timer = loop.call_at(self._since + self._idle, self._check)
        try:
            return await self._receive()
        except asyncio.CancelledError:
            # Ours (end()), unless someone else cancelled too (the visitor left): theirs wins.
            if self._ending is None or self._task is None or self._task.uncancel() > 0:
                raise
            raise self._ending from None
        finally:
            self._since = None

    def end(self, why: Exception) -> None:
        """End the wait in progress, if any, with ``why``; a later wait raises it at once."""
        if self._ending is None:
            self._ending = why
        if self._since is not None and self._task is not None:
            self._task.cancel()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        """The one timer: due when the current wait reaches the idle limit."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        since = self._since
        if since is None:  # between frames: the next wait counts from its own start
            due = now + self._idle
        elif now - since < self._idle:  # a later wait than the one this timer was set for
            due = since + self._idle
        elif self._busy():  # a visitor listening to a long (or slow) answer is not idle
            due = now + self._idle
        else:
            self._timer = None
            self.end(self._idle_ending(self._idle))
            return
        self._timer = loop.call_at(due, self._check)
