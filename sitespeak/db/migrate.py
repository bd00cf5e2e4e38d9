"""Apply the versioned migrations in ``sitespeak.db.migrations``, once each, under a lock."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from peewee import Database

from sitespeak.db import migrations

# Any constant works; it only has to be the same for every process of this install.
_LOCK_ID = 0x51735EA1


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(migrations.__path__):
        if not info.name.startswith("m"):
            continue
        module = importlib.import_module(f"{migrations.__name__}.{info.name}")
        version = int(info.name[1:5])
        found.append(Migration(version, info.name[6:], module.SQL))
    return sorted(found, key=lambda m: m.version)


def _ensure_table(db: Database) -> None:
    db.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )


def applied(db: Database) -> set[int]:
    _ensure_table(db)
    return {row[0] for row in db.execute_sql("SELECT version FROM schema_migrations")}


def current_version(db: Database) -> int:
    return max(applied(db), default=0)


def latest_version() -> int:
    return max((m.version for m in available()), default=0)


def migrate(db: Database) -> list[Migration]:
    """Apply what is missing; return what was applied now (empty when up to date)."""
    done: list[Migration] = []
    with db.connection_context():
        db.execute_sql("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            have = applied(db)
            for migration in available():
                if migration.version in have:
                    continue
                with db.atomic():
                    db.execute_sql(migration.sql)
                    db.execute_sql(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                done.append(migration)
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return done
