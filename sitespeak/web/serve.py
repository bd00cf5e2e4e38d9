"""Run the web process: the Quart app on Granian (ASGI, websockets on)."""

from __future__ import annotations

from granian import Granian
from granian.constants import Interfaces

from sitespeak.settings import Settings


def run_web(settings: Settings, factory: str) -> int:
    """Serve ``factory`` (``module:function`` building the ASGI app) with Granian."""
    server = Granian(
        factory,
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.web_workers,
        websockets=True,
        workers_kill_timeout=max(int(settings.shutdown_grace), 1),
        log_access=False,
    )
    server.serve()
    return 0
