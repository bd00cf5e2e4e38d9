"""Admin one-offs: migrate, check, config, tenant and token management."""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

import redis

from sitespeak import __version__
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.db import migrate as migrations
from sitespeak.db.connection import database, open_database
from sitespeak.errors import SiteSpeakError
from sitespeak.events.bus import EventPublisher, Publish, nowhere
from sitespeak.settings import Settings, settings_table
from sitespeak.tenancy import tenants


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="apply database migrations (idempotent)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("check", help="validate settings and reach every dependency")
    add_json_flag(p)
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("config", help="print the settings (or the README table)")
    p.add_argument("--markdown", action="store_true", help="the configuration table")
    p.set_defaults(handler=cmd_config)

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = tenant.add_parser("create", help="create a tenant (no-op if it exists)")
    p.add_argument("name")
    add_json_flag(p)
    p.set_defaults(handler=cmd_tenant_create)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = token.add_parser("create", help="create an API token; it is printed once")
    p.add_argument("--tenant", required=True)
    p.add_argument("--name", default="")
    p.add_argument(
        "--scope",
        action="append",
        choices=["read", "write"],
        help="repeat for several; default read and write",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_token_create)


def connect(settings: Settings):
    if not settings.database_url:
        raise SiteSpeakError(
            "DATABASE_URL is not set; point it at PostgreSQL, or use "
            "`python -m sitespeak dev` for the embedded server"
        )
    return open_database(settings.database_url, 2)


def event_publisher(settings: Settings) -> Publish:
    """How a command announces what it changed to the running web processes (none without
    Redis: no web process is listening then)."""
    if not settings.redis_url:
        return nowhere
    return EventPublisher(redis.Redis.from_url(settings.redis_url), settings.redis_prefix).publish


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    db = connect(settings)
    done = migrations.migrate(db)
    with db.connection_context():
        version = migrations.current_version(db)
    names = [f"{m.version:04d}_{m.name}" for m in done]
    emit(
        args,
        {"applied": names, "version": version},
        f"applied {', '.join(names)}; schema at version {version}"
        if names
        else f"schema up to date at version {version}",
    )
    return 0


def _probe(fn) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        detail = fn()
        result: dict[str, Any] = {"ok": True, "detail": detail}
    except Exception as exc:  # noqa: BLE001 - the report shows every failure
        result = {"ok": False, "detail": f"{type(exc).__name__}: {exc}".strip()}
    result["latency_ms"] = round((time.perf_counter() - start) * 1000, 1)
    return result


def _check_postgres(settings: Settings) -> str:
    db = connect(settings)
    with db.connection_context():
        server = db.execute_sql("SHOW server_version").fetchone()[0]
        have, want = migrations.current_version(db), migrations.latest_version()
    if have < want:
        raise SiteSpeakError(f"schema at version {have}, code needs {want}: run migrate")
    if have > want:
        raise SiteSpeakError(f"schema at version {have} is newer than this code ({want})")
    return f"PostgreSQL {server}, schema version {have}"


def _check_redis(settings: Settings) -> str:
    if not settings.redis_url:
        raise SiteSpeakError("REDIS_URL is not set")
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    return f"Redis {client.info('server').get('redis_version', '?')}"


def _check_state_dir(settings: Settings) -> str:
    path = settings.state_dir
    path.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path):
        pass
    return f"{path.resolve()} is writable"


def _check_speech(settings: Settings) -> str:
    from sitespeak.speech.protocol import hello, parse_address

    address = parse_address(settings.speech_socket, settings.state_dir)
    try:
        reply = hello(address, secret=settings.speech_secret.get_secret_value())
    except PermissionError as exc:
        raise SiteSpeakError(f"the speech process at {address} refused `check`: {exc}") from None
    except OSError as exc:
        raise SiteSpeakError(
            f"no speech process at {address} ({exc.strerror or exc}): voice answers need it; "
            "start it (PROCESS_TYPE=speech, or systemctl start sitespeak-speech)"
        ) from None
    return f"pid {reply.get('pid')} at {address} ({reply.get('stt')}, {reply.get('tts')})"


# Not fatal: `check` runs before the processes start (postinst), and typed answers work without it.
WARN_ONLY = ("speech",)


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    report = {
        "settings": {"ok": True, "detail": f"valid (sitespeak {__version__})", "latency_ms": 0},
        "postgres": _probe(lambda: _check_postgres(settings)),
        "redis": _probe(lambda: _check_redis(settings)),
        "state_dir": _probe(lambda: _check_state_dir(settings)),
        "speech": _probe(lambda: _check_speech(settings)),
    }
    ok = all(item["ok"] for name, item in report.items() if name not in WARN_ONLY)
    lines = [
        f"{'ok  ' if item['ok'] else 'WARN' if name in WARN_ONLY else 'FAIL'} {name:<10} "
        f"{item['detail']}"
        for name, item in report.items()
    ]
    lines.append("all checks passed" if ok else "some checks failed")
    emit(args, {"ok": ok, "checks": report}, "\n".join(lines))
    return 0 if ok else 1


def cmd_config(settings: Settings, args: argparse.Namespace) -> int:
    if args.markdown:
        print(settings_table())
        return 0
    for name, value in settings.model_dump().items():
        print(f"{name} = {value}")  # secrets are SecretStr: they print as asterisks
    return 0


def cmd_tenant_create(settings: Settings, args: argparse.Namespace) -> int:
    connect(settings)
    with database.connection_context():
        tenant, created = tenants.create_tenant(args.name)
    emit(
        args,
        {"id": tenant.id, "name": tenant.name, "created": created},
        f"created tenant {tenant.name} (id {tenant.id})"
        if created
        else f"tenant {tenant.name} already exists (id {tenant.id}); nothing to do",
    )
    return 0


def cmd_token_create(settings: Settings, args: argparse.Namespace) -> int:
    connect(settings)
    with database.connection_context():
        tenant = tenants.get_tenant(args.tenant)
        issued = tenants.create_token(tenant, args.name, args.scope)
    emit(
        args,
        {
            "token": issued.token,
            "id": issued.row.id,
            "tenant": tenant.name,
            "scopes": issued.row.scopes,
        },
        f"{issued.token}\n(shown once: store it now; tenant {tenant.name}, id {issued.row.id})",
    )
    return 0
