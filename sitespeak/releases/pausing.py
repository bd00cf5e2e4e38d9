"""Automatic publishing pauses after a rollback. An owner who rolled back did so because a
release was wrong; the next crawl would otherwise publish the same content again by itself as
soon as the safety gate passes it. While paused, every candidate is held for review; the owner
publishing one (or resuming) lets the gate decide again. Kept in ``sites.options``."""

from __future__ import annotations

from typing import Any

from sitespeak.db.connection import database
from sitespeak.db.models import Site, utcnow

PAUSED_OPTION = "publishing_paused"  # sites.options key: {"number", "by", "at"} of the rollback


def pausing(number: int, by: str) -> dict[str, Any]:
    """The ``sites.options`` entry a rollback to release ``number`` writes (with the rest of
    what it changes there, in one statement)."""
    return {PAUSED_OPTION: {"number": number, "by": by, "at": utcnow().isoformat()}}


def resume(site_id: int) -> None:
    database.execute_sql(
        "UPDATE sites SET options = options - %s WHERE id = %s AND options ? %s",
        (PAUSED_OPTION, site_id, PAUSED_OPTION),
    )


def paused(site: Site) -> dict[str, Any] | None:
    """The rollback that paused automatic publishing, or None."""
    found = (site.options or {}).get(PAUSED_OPTION)
    return found if isinstance(found, dict) else None


def reason(site: Site) -> str | None:
    """Why the gate holds every candidate of a paused site, as the admin shows it."""
    found = paused(site)
    if found is None:
        return None
    return (
        f"automatic publishing is paused since {found.get('by') or 'someone'} rolled back to "
        f"release {found.get('number')} ({str(found.get('at', ''))[:16].replace('T', ' ')} UTC): "
        "publish a release or resume to let the safety gate decide again"
    )
