"""``python -m sitespeak dev``: the whole appliance in one command on a bare machine.

With no DATABASE_URL/REDIS_URL it starts the embedded servers in the state dir (under their file
lock), migrates, and runs the Procfile's processes with honcho's manager; the children get the
servers' URLs and a secret key persisted in the state dir, so sessions survive restarts.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import NoReturn

import honcho.manager
from honcho.environ import parse_procfile
from honcho.printer import Printer

from sitespeak.db.connection import open_database
from sitespeak.db.migrate import migrate
from sitespeak.embedded import running
from sitespeak.embedded.servers import EmbeddedServers
from sitespeak.settings import Settings

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"
# The same lines as the repo's Procfile, for an install that has no checkout beside it.
DEFAULT_PROCFILE = (
    "speech: PROCESS_TYPE=speech exec python -m sitespeak\n"
    "web: PROCESS_TYPE=web exec python -m sitespeak\n"
    "worker: PROCESS_TYPE=worker exec python -m sitespeak\n"
)


def procfile_processes() -> dict[str, str]:
    text = PROCFILE.read_text() if PROCFILE.is_file() else DEFAULT_PROCFILE
    return dict(parse_procfile(text).processes)


def child_env(settings: Settings, database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
        SITESPEAK_STATE_DIR=str(settings.state_dir.resolve()),
    )
    # `python` in the Procfile must be this interpreter, even when the venv is not activated.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def _exit_on_signal(signum: int, frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


def run_dev(settings: Settings) -> int:
    # Until honcho takes over the signals, a SIGTERM must still unwind through `finally`.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    embedded = None
    if not (settings.database_url and settings.redis_url):
        embedded = EmbeddedServers(
            settings.state_dir / "embedded",
            pg_user=settings.embedded_pg_user,
            postgres=not settings.database_url,
            redis=not settings.redis_url,
        )
    try:
        database_url, redis_url = settings.database_url, settings.redis_url
        if embedded:
            embedded.start()
            database_url = database_url or embedded.database_url
            redis_url = redis_url or embedded.redis_url
        _migrate(database_url)
        running.record(settings.state_dir, database_url, redis_url)
        # The URLs once the web process answers: printed before, they led to a refused page.
        threading.Thread(
            target=_announce_when_serving,
            args=(settings, database_url, redis_url, embedded is not None),
            daemon=True,
        ).start()
        return _supervise(settings, child_env(settings, database_url, redis_url))
    finally:
        running.forget(settings.state_dir)
        if embedded:
            embedded.stop()
            print("sitespeak dev: embedded servers stopped", flush=True)


def _migrate(database_url: str) -> None:
    db = open_database(database_url, 1)
    try:
        migrate(db)
    finally:
        db.close_all()


def _first_admin_link(settings: Settings, database_url: str) -> str | None:
    from sitespeak.accounts.first_run import unclaimed_setup_link

    db = open_database(database_url, 1)
    try:
        with db.connection_context():
            return unclaimed_setup_link(settings.setup_link_ttl, settings.base_url)
    finally:
        db.close_all()


def _announce_when_serving(
    settings: Settings, database_url: str, redis_url: str, embedded: bool, wait: float = 600
) -> None:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    probe = f"http://{host}:{settings.port}/health/live"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(probe, timeout=2) as answer:  # noqa: S310 - our own URL
                if answer.status == 200:
                    _announce(settings, database_url, redis_url, embedded)
                    return
        except OSError:
            pass
        time.sleep(0.25)
    print(
        f"sitespeak dev: the web process did not answer on {probe} within {wait:g} s; "
        "its lines above say why",
        flush=True,
    )


def _announce(settings: Settings, database_url: str, redis_url: str, embedded: bool) -> None:
    where = f"embedded servers in {settings.state_dir.resolve()}" if embedded else "your servers"
    print(
        f"sitespeak dev: web on {settings.base_url} (Ctrl-C stops everything)\n"
        f"sitespeak dev: using {where}; admin commands in another shell of this checkout "
        "find them by themselves (`.venv/bin/python -m sitespeak --help`); elsewhere:\n"
        f"  export DATABASE_URL='{database_url}' REDIS_URL='{redis_url}'",
        flush=True,
    )
    print(f"sitespeak dev: admin UI at {settings.base_url}/admin/", flush=True)
    link = _first_admin_link(settings, database_url)
    if link:  # only while no account has a password: the terminal is trusted, a visitor is not
        print(
            f"sitespeak dev: first admin ({settings.setup_link_ttl / 3600:g} h, works once): "
            f"{link}",
            flush=True,
        )


def _supervise(settings: Settings, env: dict[str, str]) -> int:
    # honcho SIGKILLs children KILL_WAIT s after SIGTERM; give a busy worker its grace first.
    honcho.manager.KILL_WAIT = max(5, int(settings.shutdown_grace) + 5)
    manager = honcho.manager.Manager(Printer(sys.stdout))
    for name, command in procfile_processes().items():
        manager.add_process(name, command, env=env)
    manager.loop()
    # Stopped by our own SIGTERM/SIGINT is a clean stop; a child that died is not.
    return 0 if manager.returncode in (130, 143) else manager.returncode
