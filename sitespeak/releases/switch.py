"""Switching what a site answers from: publish a candidate, roll back to a kept release, or
discard a candidate. A switch is one transaction (the live pointer, the states, the knowledge
version) followed by the ``knowledge-base.updated`` event, on which every web process reloads
the site's index: no content is copied, so a rollback costs what a publish costs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sitespeak.actions import catalog
from sitespeak.db.connection import database
from sitespeak.db.models import Site, utcnow
from sitespeak.errors import Conflict, NotFound
from sitespeak.events.bus import EventType, Publish
from sitespeak.knowledge.indexing import announce
from sitespeak.releases import pausing
from sitespeak.releases.models import PENDING, SETTINGS_SOURCE, Release
from sitespeak.settings import Settings
from sitespeak.sites import voice_options

AUTOMATIC = "automatic"  # who publishes what the safety gate passes


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
    Release.source,
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
    """Make a waiting candidate (held or not) the live release. A person publishing resumes
    automatic publishing, if a rollback had paused it."""
    return _switch(
        tenant_id, site_id, number, by, PENDING, settings, events, resume=by != AUTOMATIC
    )


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
    *,
    resume: bool = False,
) -> Release:
    with database.atomic():
        site, release = switch_in_transaction(
            tenant_id, site_id, number, by, allowed, settings, resume=resume
        )
    announce_switch(events, site, release)
    return release


def switch_in_transaction(
    tenant_id: int,
    site_id: int,
    number: int,
    by: str,
    allowed: Iterable[str],
    settings: Settings,
    *,
    resume: bool = False,
    snapshot: bool = True,
) -> tuple[Site, Release]:
    """The switch's writes, in the caller's transaction; ``announce_switch`` once committed.
    ``snapshot=False``: the pending release already holds the settings of now."""
    allowed = tuple(allowed)
    site = _lock_site(tenant_id, site_id)
    release = get_release(tenant_id, site_id, number, whole=False)
    if release.state not in allowed or not release.kept:
        state = release.state if release.kept else f"{release.state} and no longer kept"
        verb = "published" if "held" in allowed else "rolled back to"
        raise Conflict(f"release {number} is {state}: it cannot be {verb}")
    if release.state in PENDING:
        # Not live yet, so not fixed yet: it goes live with the voice options and the action
        # choices the owner has now (an edit made while it waited for review is kept).
        if snapshot:
            Release.update(
                actions=catalog.snapshot(site_id), voice=voice_options.snapshot(site)
            ).where(Release.id == release.id).execute()
        if resume:
            pausing.resume(site_id)
    else:
        _restore_settings(site_id, release.id, pausing.pausing(number, by))
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
    return site, release


def announce_switch(events: Publish, site: Site, release: Release) -> None:
    announce_release(events, release)
    announce(events, site)  # last: what web processes act on comes after the history's note


def _restore_settings(site_id: int, release_id: int, also: dict[str, Any]) -> None:
    """A rollback brings back the release's voice options and action choices as the site's
    own, so the admin shows what visitors get and the next edit starts from there. ``also``:
    more ``sites.options`` keys to write in the same statement."""
    voice, keyed = database.execute_sql(
        "SELECT voice, coalesce(actions->0 ? 'key', true) FROM knowledge_releases WHERE id = %s",
        (release_id,),
    ).fetchone()
    if not voice:  # recorded nothing (made by the releases migration): nothing to restore
        keyed = None
    restored = voice_options.from_snapshot(voice) if voice else {}
    database.execute_sql(
        "UPDATE sites SET options = coalesce(options, '{}'::jsonb) || %s::jsonb, "
        "updated_at = now() WHERE id = %s",
        (json.dumps({**restored, **also}), site_id),
    )
    if keyed is None:
        return
    # Set-based (a big site's catalog has thousands of entries): by key, or by id for
    # releases recorded before keys were.
    match = "a.key = s.key" if keyed else "a.id = s.id"
    database.execute_sql(
        "UPDATE site_actions a SET enabled = s.enabled, owner_set = s.owner_set "
        "FROM (SELECT e->>'key' AS key, (e->>'id')::bigint AS id, "
        "coalesce((e->>'enabled')::boolean, true) AS enabled, "
        "coalesce((e->>'owner_set')::boolean, false) AS owner_set "
        "FROM knowledge_releases r, jsonb_array_elements(r.actions) e WHERE r.id = %s) s "
        f"WHERE a.site_id = %s AND {match} AND a.enabled IS DISTINCT FROM s.enabled",
        (release_id, site_id),
    )


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
    """Keep the live release, the newest ``keep`` knowledge releases (crawls, uploads) and the
    newest ``keep`` settings releases among them, so that an owner's voice or action edits never
    push a knowledge version out of a rollback's reach. Older ones stay in the history without
    their content."""
    published = list(
        Release.select(*STATE_COLUMNS)
        .where(
            Release.site == site_id,
            Release.state.in_(("live", "archived")),
            Release.pruned_at.is_null(),
        )
        .order_by(Release.published_at.desc(nulls="LAST"), Release.number.desc())
    )
    keep = max(keep, 1)
    kept: Counter[str] = Counter()
    for n, release in enumerate(published):
        kind = "settings" if release.source == SETTINGS_SOURCE else "knowledge"
        if n and (kept["knowledge"] >= keep or kept[kind] >= keep):
            drop(release, "archived")
        else:
            kept[kind] += 1


def sweep_chunks() -> int:
    """Delete retired chunks no release holds any more (a maintenance retention step)."""
    cursor = database.execute_sql(
        "DELETE FROM chunks c WHERE c.retired AND NOT EXISTS "
        "(SELECT 1 FROM release_chunks rc WHERE rc.chunk_id = c.id)"
    )
    return int(cursor.rowcount)


def announce_release(events: Publish, release: Release) -> None:
    events(
        EventType.RELEASE_UPDATED,
        release.tenant_id,
        {"site_id": release.site_id, "number": release.number, "state": release.state},
    )
