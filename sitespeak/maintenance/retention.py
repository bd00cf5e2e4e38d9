"""What the box stops keeping, and when. Every function deletes by a cut-off computed from
``now``, so a second run (or one on another worker at the same time) finds nothing left to do."""

from __future__ import annotations

import datetime as dt

from peewee import SQL

from sitespeak.accounts.models import SetupLink
from sitespeak.analytics.retention import prune_events
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.releases.switch import sweep_chunks
from sitespeak.voice.models import VoiceSession


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def expired_setup_links(now: dt.datetime | None = None) -> int:
    """Setup and reset links past their expiry: they can never be used again."""
    return SetupLink.delete().where(SetupLink.expires_at < _now(now)).execute()


def old_conversations(days: int, now: dt.datetime | None = None) -> int:
    """Voice sessions (their turns go with them) with no activity for ``days``."""
    cutoff = _now(now) - dt.timedelta(days=days)
    last_activity = SQL("COALESCE(last_turn_at, started_at)")
    return VoiceSession.delete().where(last_activity < cutoff).execute()


def old_events(days: int, now: dt.datetime | None = None) -> int:
    """Raw widget events, once the rollups have folded them in (the rollups stay)."""
    return prune_events(days, now)


def finished_jobs(days: int, now: dt.datetime | None = None) -> int:
    """Ledger rows of jobs that ended (succeeded or dead) before the cut-off; failed jobs
    waiting for a retry and anything queued or running stay."""
    cutoff = _now(now) - dt.timedelta(days=days)
    return (
        Job.delete()
        .where(Job.status.in_(("succeeded", "dead")), Job.finished_at < cutoff)
        .execute()
    )


def old_crawl_runs(keep: int) -> int:
    """Crawl runs beyond the newest ``keep`` of each site (their per-URL outcomes go with them);
    a running crawl is never touched."""
    cursor = database.execute_sql(
        """
        DELETE FROM crawl_runs WHERE id IN (
            SELECT id FROM (
                SELECT id, status, row_number() OVER (
                    PARTITION BY site_id ORDER BY started_at DESC, id DESC
                ) AS n
                FROM crawl_runs
            ) ranked
            WHERE n > %s AND status <> 'running'
        )
        """,
        (keep,),
    )
    return cursor.rowcount


def unheld_chunks() -> int:
    """Chunks a newer crawl replaced that no kept release holds any more."""
    return sweep_chunks()
