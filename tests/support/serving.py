"""Running a loopback ``socketserver`` in a thread for the length of a test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import BaseServer

# How often serve_forever looks for a shutdown request. Its default, 0.5 s, made every test that
# stopped a loopback server wait ~0.4 s for nothing (11 s of a 31 s run of the crawl tests).
POLL_S = 0.02


@contextmanager
def serving(server: BaseServer) -> Iterator[None]:
    """Serve ``server`` in a daemon thread; stop and close it on the way out."""
    thread = threading.Thread(target=server.serve_forever, args=(POLL_S,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
