"""Releases as the API, the CLI and the admin show them."""

from __future__ import annotations

from typing import Any

from sitespeak.releases.models import Release


def release_summary(release: Release | None) -> dict[str, Any] | None:
    if release is None:
        return None
    held = release.held_because or []  # not read by a switch (see switch.STATE_COLUMNS)
    return {"number": release.number, "state": release.state, "held_because": held}


def release_view(release: Release) -> dict[str, Any]:
    return {
        "number": release.number,
        "state": release.state,
        "kept": release.kept,
        "source": release.source,
        "crawl_run_id": release.crawl_run_id,
        "created_at": release.created_at.isoformat(),
        "published_at": release.published_at.isoformat() if release.published_at else None,
        "published_by": release.published_by,
        "stats": release.stats,
        "diff": release.diff,
        "held_because": release.held_because,
        # Entries it offers (switched-off ones are recorded too, for a rollback to restore).
        "actions": sum(1 for a in release.actions or [] if a.get("enabled", True) is not False),
    }
