"""Argument parsing and dispatch: PROCESS_TYPE picks web, worker or speech; subcommands are
one-offs."""

from __future__ import annotations

import argparse
import difflib
import logging
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from sitespeak import __version__, assembly
from sitespeak.cli import accounts, actions, admin, ask, dev, hosting, ops, releases, sites
from sitespeak.embedded.running import running_dev
from sitespeak.errors import SiteSpeakError
from sitespeak.settings import Settings, load_settings

PROCESS_TYPES = ("web", "worker", "speech")
# The speech process needs neither PostgreSQL nor Redis: only its models and its socket.
NEEDS_SERVICES = ("web", "worker")
COMMAND_MODULES = (admin, accounts, dev, ops, sites, ask, actions, hosting, releases)


class Parser(argparse.ArgumentParser):
    """argparse, plus the command a typo was probably meant to be."""

    def error(self, message: str) -> NoReturn:
        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if found:
            choices = re.findall(r"'([^']*)'", found.group(2))
            close = difflib.get_close_matches(found.group(1), choices, n=1, cutoff=0.6)
            if close:
                message += f"; did you mean '{close[0]}'?"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sitespeak",
        description="SiteSpeak: run a process (PROCESS_TYPE=web|worker|speech) or an admin "
        "command.",
    )
    parser.add_argument("--version", action="version", version=f"sitespeak {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def run_process(settings: Settings) -> int:
    if settings.process_type == "web":
        return assembly.run_web(settings)
    if settings.process_type == "worker":
        return assembly.run_worker(settings)
    if settings.process_type == "speech":
        return assembly.run_speech(settings)
    got = f"got {settings.process_type!r}" if settings.process_type else "it is unset"
    print(
        f"sitespeak: PROCESS_TYPE must be one of: {', '.join(PROCESS_TYPES)} ({got}); or run a "
        "command, see `python -m sitespeak --help`",
        file=sys.stderr,
    )
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SiteSpeakError as exc:
        print(f"sitespeak: invalid setting: {exc.message}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command not in (None, "dev"):
        settings = with_running_dev(settings)
    try:
        if args.command is None:
            if settings.process_type in NEEDS_SERVICES:
                _require_services(settings)
            return run_process(settings)
        return args.handler(settings, args)
    except SiteSpeakError as exc:
        print(f"sitespeak: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def with_running_dev(settings: Settings) -> Settings:
    """An admin command with no DATABASE_URL/REDIS_URL of its own uses the servers of the ``dev``
    running on the same state dir (``make run`` in another shell), and says so."""
    if settings.database_url and settings.redis_url:
        return settings
    found = running_dev(settings.state_dir)
    if not found:
        return settings
    update = {
        "database_url": settings.database_url or found.get("DATABASE_URL", ""),
        "redis_url": settings.redis_url or found.get("REDIS_URL", ""),
    }
    print(
        f"sitespeak: using the servers of the `dev` running on {settings.state_dir}",
        file=sys.stderr,
    )
    return settings.model_copy(update=update)


def _require_services(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("DATABASE_URL", settings.database_url),
            ("REDIS_URL", settings.redis_url),
        )
        if not value
    ]
    if missing:
        raise SiteSpeakError(
            f"{' and '.join(missing)} not set; point them at your servers, "
            "or run `python -m sitespeak dev` for embedded ones"
        )
