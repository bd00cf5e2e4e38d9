"""Switching what a site answers from: publish a candidate, roll back to a kept release, or
discard a candidate. A switch is one transaction (the live pointer, the states, the knowledge
version) followed by the ``knowledge-base.updated`` event, on which every web process reloads
the site's index: no content is copied, so a rollback costs what a publish costs."""

from __future__ import annotations

from collections.abc import Iterable

from sitespeak.db.connection import database
from sitespeak.db.models import Site, utcnow
from sitespeak.errors import Conflict, NotFound
from sitespeak.knowledge.indexing import Publish, announce
from sitespeak.releases.models import PENDING, Release
from sitespeak.settings import Settings

UPDATED = "release.updated"  # a release changed state (the admin's history listens)


# What a switch needs of a release: not its diff and snapshots, which are big on a big site
# (reading them cost a rollback of a 2,000-page site most of its time).
STATE_COLUMNS = (
    Release.id,
    Release.tenant,
    Release.site,
    Release.number,
    Release.state,
    Release.published_at,
    Release.published_by,
    Release.pruned_at,
)


def get_release(tenant_id: int, site_id: int, number: int, *, whole: bool = True) -> Release:
    release = (
        Release.select(*(() if whole else STATE_COLUMNS))
        .where(Release.tenant == tenant_id, Release.site == site_id, Release.number == number)
        .get_or_none()
    )
    if release is None:
        raise NotFound(f"no release {number} of site {site_id}")
    return release


def list_releases(tenant_id: int, site_id: int) -> list[Release]:
    return list(
        Release.select()
        .where(Release.tenant == tenant_id, Release.site == site_id)
        .order_by(Release.number.desc())
    )


def publish(
    tenant_id: int, site_id: int, number: int, by: str, settings: Settings, events: Publish
) -> Release:
    """Make a waiting candidate (held or not) the live release."""
    return _switch(tenant_id, site_id, number, by, PENDING, settings, events)


def rollback(
    tenant_id: int, site_id: int, number: int, by: str, settings: Settings, events: Publish
) -> Release:
    """Make an earlier, still kept release live again."""
    return _switch(tenant_id, site_id, number, by, ("archived",), settings, events)


def discard(tenant_id: int, site_id: int, number: int, by: str, events: Publish) -> Release:
    with database.atomic():
        _lock_site(tenant_id, site_id)
        release = get_release(tenant_id, site_id, number, whole=False)
        if release.state not in PENDING:
            raise Conflict(
                f"release {number} is {release.state}: only a candidate can be discarded"
            )
        drop(release, "discarded", by)
    announce_release(events, release)
    return release


def _switch(
    tenant_id: int,
    site_id: int,
    number: int,
    by: str,
    allowed: Iterable[str],
    settings: Settings,
    events: Publish,
) -> Release:
    allowed = tuple(allowed)
    with database.atomic():
        site = _lock_site(tenant_id, site_id)
        release = get_release(tenant_id, site_id, number, whole=False)
        if release.state not in allowed or not release.kept:
            state = release.state if release.kept else f"{release.state} and no longer kept"
            verb = "published" if "held" in allowed else "rolled back to"
            raise Conflict(f"release {number} is {state}: it cannot be {verb}")
        Release.update(state="archived").where(
            Release.site == site_id, Release.state == "live"
        ).execute()
        now = utcnow()
        Release.update(state="live", published_at=now, published_by=by).where(
            Release.id == release.id
        ).execute()
        Site.update(live_release_id=release.id, knowledge_version=Site.knowledge_version + 1).where(
            Site.id == site_id
        ).execute()
        _prune(site_id, settings.releases_kept)
        release.state, release.published_at, release.published_by = "live", now, by
    announce_release(events, release)
    announce(events, site)  # last: what web processes act on comes after the history's note
    return release


def _lock_site(tenant_id: int, site_id: int) -> Site:
    """The site row, locked: switches of one site happen one after the other."""
    site = (
        Site.select().where(Site.id == site_id, Site.tenant == tenant_id).for_update().get_or_none()
    )
    if site is None:
        raise NotFound(f"no site {site_id} in this tenant")
    return site


def drop(release: Release, state: str, by: str | None = None) -> None:
    """Give up a release's chunk set (they go with the next sweep unless another holds them)."""
    database.execute_sql("DELETE FROM release_chunks WHERE release_id = %s", (release.id,))
    fields = {"state": state, "pruned_at": utcnow()}
    if by is not None:
        fields["published_by"] = by
    Release.update(**fields).where(Release.id == release.id).execute()
    release.state, release.pruned_at = state, fields["pruned_at"]


def _prune(site_id: int, keep: int) -> None:
    """Keep the live release and the newest ``keep - 1`` earlier ones that can be rolled back to;
    older ones stay in the history without their content."""
    published = list(
        Release.select(*STATE_COLUMNS)
        .where(
            Release.site == site_id,
            Release.state.in_(("live", "archived")),
            Release.pruned_at.is_null(),
        )
        .order_by(Release.published_at.desc(nulls="LAST"), Release.number.desc())
    )
    for release in published[max(keep, 1) :]:
        drop(release, "archived")


def sweep_chunks() -> int:
    """Delete retired chunks no release holds any more (a maintenance retention step)."""
    cursor = database.execute_sql(
        "DELETE FROM chunks c WHERE c.retired AND NOT EXISTS "
        "(SELECT 1 FROM release_chunks rc WHERE rc.chunk_id = c.id)"
    )
    return int(cursor.rowcount)


def announce_release(events: Publish, release: Release) -> None:
    events(
        UPDATED,
        release.tenant_id,
        {"site_id": release.site_id, "number": release.number, "state": release.state},
    )
