"""How the web process talks to PostgreSQL: peewee on a bounded thread pool, never on the loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from playhouse.pool import PooledDatabase

T = TypeVar("T")


class DbExecutor:
    def __init__(self, db: PooledDatabase, threads: int) -> None:
        self._db = db
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` with a pooled connection. No implicit transaction: domain
        code opens its own (``database.atomic()``), so work it does after commit — enqueueing a
        job for a worker that must see the row — happens after commit."""
        call = functools.partial(self._in_connection, fn, args, kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def _in_connection(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        with self._db.connection_context():
            return fn(*args, **kwargs)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._db.close_all()
