"""Run the web process: the Quart app on Granian (ASGI, websockets on)."""

from __future__ import annotations

import os
import shutil

from granian import Granian
from granian.constants import Interfaces

from sitespeak.settings import Settings
from sitespeak.web.listen import ensure_port_free

# prometheus_client's own variable; not imported from sitespeak.web.metrics, because importing
# prometheus_client here, before it is set, would fix single-process mode in every forked worker.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def run_web(settings: Settings, factory: str) -> int:
    """Serve ``factory`` (``module:function`` building the ASGI app) with Granian."""
    ensure_port_free(settings)
    if settings.web_workers > 1:
        _share_metrics(settings)
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


def _share_metrics(settings: Settings) -> None:
    """Several workers: their metrics go to one directory (emptied at each start, so a previous
    run's counters never add up with this one's), read together by /metrics. Set before the
    workers start, since prometheus_client picks its mode when it is imported."""
    folder = settings.state_dir / "run" / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
