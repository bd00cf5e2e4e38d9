"""The PostgreSQL connection every process opens once at start-up.

Models bind to ``database`` (a peewee proxy); ``open_database`` points it at a real pool. The web
process never calls peewee on its event loop: see ``sitespeak.web.dbpool``.
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from peewee import DatabaseProxy
from playhouse.pool import PooledPostgresqlDatabase

database = DatabaseProxy()


def connect_params(url: str) -> dict:
    parts = urlparse(url)
    params: dict = {"database": unquote(parts.path.lstrip("/")) or "postgres"}
    if parts.hostname:
        params["host"] = unquote(parts.hostname)
    if parts.port:
        params["port"] = parts.port
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    for pair in filter(None, parts.query.split("&")):
        key, _, value = pair.partition("=")
        params[key] = unquote(value)
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
