"""The database's own upkeep and the box's disk use, reported on the dashboard."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sitespeak.db.connection import database
from sitespeak.db.models import Job

# The tables that change all day: their statistics drift and dead rows pile up fastest.
BUSY_TABLES = ("jobs", "voice_sessions", "voice_turns", "analytics_events", "crawl_outcomes")


def vacuum_analyze(tables: tuple[str, ...] = BUSY_TABLES) -> list[str]:
    """``VACUUM (ANALYZE)`` each table that exists (peewee runs in autocommit outside an atomic
    block, which VACUUM needs). Returns the tables done."""
    existing = set(database.get_tables())
    done = [t for t in tables if t in existing]
    for table in done:
        database.execute_sql(f'VACUUM (ANALYZE) "{table}"')
    return done


def directory_bytes(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue  # removed while we walked: it uses nothing any more
    return total


def disk_usage(state_dir: Path, warn_free_percent: float) -> dict[str, Any]:
    """Database size, state dir size and the free space of the state dir's disk, with a warning
    when free space falls below ``warn_free_percent``."""
    row = database.execute_sql("SELECT pg_database_size(current_database())").fetchone()
    disk = shutil.disk_usage(state_dir if state_dir.exists() else Path("."))
    free_percent = round(100 * disk.free / disk.total, 1)
    return {
        "database_bytes": int(row[0]),
        "state_dir_bytes": directory_bytes(state_dir) if state_dir.exists() else 0,
        "disk_free_bytes": disk.free,
        "disk_free_percent": free_percent,
        "warning": free_percent < warn_free_percent,
    }


def latest_disk_usage() -> dict[str, Any] | None:
    """The newest disk-usage report (the hourly maintenance job's result), with when it ran."""
    job = (
        Job.select(Job.result, Job.finished_at)
        .where(Job.name == "maintenance.disk_usage", Job.status == "succeeded")
        .order_by(Job.finished_at.desc())
        .first()
    )
    if job is None or not job.result:
        return None
    return {**job.result, "at": job.finished_at}
