"""The PostgreSQL connection every process opens once at start-up.

Models bind to ``database`` (a peewee proxy); ``open_database`` points it at a real pool. The web
process never calls peewee on its event loop: see ``sitespeak.web.dbpool``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from peewee import DatabaseProxy
from playhouse import db_url
from playhouse.pool import PooledPostgresqlDatabase

database = DatabaseProxy()


def connect_params(url: str) -> dict[str, Any]:
    """psycopg2's keyword arguments for a ``postgresql://`` URL (peewee's own URL parser; query
    parameters such as ``sslmode=require`` pass through)."""
    params: dict[str, Any] = db_url.parse(url, unquote_password=True, unquote_user=True)
    params["database"] = unquote(params.get("database") or "") or "postgres"
    if params.get("host"):
        params["host"] = unquote(params["host"])  # a socket directory: %2Frun%2Fpostgresql
    return params


def open_database(url: str, pool_size: int = 8) -> PooledPostgresqlDatabase:
    """Create the pooled database for ``url`` and bind the models to it."""
    params = connect_params(url)
    params.setdefault("connect_timeout", 5)
    db = PooledPostgresqlDatabase(
        params.pop("database"),
        max_connections=pool_size,
        stale_timeout=300,
        timeout=10,
        **params,
    )
    database.initialize(db)
    return db
