"""``dev``: embedded PostgreSQL and Redis in the state dir, migrate, then web + worker."""

from __future__ import annotations

import argparse

from sitespeak.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dev", help="run web + worker on embedded PostgreSQL and Redis")
    p.set_defaults(handler=cmd_dev)


def cmd_dev(settings: Settings, args: argparse.Namespace) -> int:
    from sitespeak.embedded.supervise import run_dev

    return run_dev(settings)
