"""An owner's edit of what the assistant offers besides its knowledge (the voice options, an
action switched on or off) applies at once, as a release of its own: the live release's
chunks with the edited settings, published by the person who saved. The release history then
says who changed the voice and when, and a rollback past the edit undoes it.

It publishes without the safety gate or a review: the content is the live release's, and the
person saving is the one a review would ask. A site with no release yet serves its settings as
they are, so an edit there makes no release. Pending candidates stay pending (publishing one
later takes the settings of that moment, this edit included)."""

from __future__ import annotations

from sitespeak.actions import catalog
from sitespeak.actions.models import SiteAction
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.events.bus import Publish
from sitespeak.releases import candidates, switch
from sitespeak.releases.models import SETTINGS_SOURCE, Release
from sitespeak.settings import Settings
from sitespeak.sites import voice_options


def set_voice_options(
    tenant_id: int,
    site_ref: int | str,
    options: voice_options.VoiceOptions,
    by: str,
    settings: Settings,
    events: Publish,
) -> Site:
    with database.atomic():
        site = voice_options.set_voice_options(tenant_id, site_ref, options)
        done = _release_settings(tenant_id, site.id, by, settings)
    if done is not None:
        switch.announce_switch(events, *done)
    return site


def set_action_enabled(
    tenant_id: int,
    site_ref: int | str,
    action_id: int,
    enabled: bool,
    by: str,
    settings: Settings,
    events: Publish,
) -> SiteAction:
    with database.atomic():
        row = catalog.set_enabled(tenant_id, site_ref, action_id, enabled)
        done = _release_settings(tenant_id, row.site_id, by, settings)
    if done is not None:
        switch.announce_switch(events, *done)
    return row


def _release_settings(
    tenant_id: int, site_id: int, by: str, settings: Settings
) -> tuple[Site, Release] | None:
    """In the edit's transaction: a release of the live chunks with the settings as they now
    are, switched to. None when there is nothing to release (no live release, or the live one
    already has these settings)."""
    site = Site.select().where(Site.id == site_id).for_update().get()
    if site.live_release_id is None:
        return None
    live = Release.get_by_id(site.live_release_id)
    actions, voice = catalog.snapshot(site_id), voice_options.snapshot(site)
    if _offered(live.actions) == _offered(actions) and (
        voice_options.from_snapshot(live.voice) == voice_options.from_snapshot(voice)
    ):
        return None
    number = candidates.next_number(site_id)
    release = Release.create(
        tenant=site.tenant_id,
        site=site_id,
        number=number,
        state="candidate",
        source=SETTINGS_SOURCE,
        stats=live.stats,
        diff={
            "counts": {"added": 0, "removed": 0, "changed": 0, "failed": 0},
            "added": [],
            "removed": [],
            "changed": [],
            "failed": [],
            "settings": _what_changed(live, actions, voice),
        },
        actions=actions,
        voice=voice,
    )
    database.execute_sql(
        "INSERT INTO release_chunks (release_id, chunk_id) "
        "SELECT %s, chunk_id FROM release_chunks WHERE release_id = %s",
        (release.id, live.id),
    )
    return switch.switch_in_transaction(
        tenant_id, site_id, number, by, ("candidate",), settings, snapshot=False
    )


def _offered(views: list[dict]) -> set[tuple[str, str, str]]:
    return {(a.kind, a.url, a.target) for a in catalog.offered(views or [])}


def _what_changed(live: Release, actions: list[dict], voice: dict) -> list[str]:
    """The history's line of what the edit changed."""
    said = []
    before, after = _offered(live.actions), _offered(actions)
    if after - before:
        said.append(f"{len(after - before)} action(s) switched on")
    if before - after:
        said.append(f"{len(before - after)} action(s) switched off")
    old, new = voice_options.from_snapshot(live.voice), voice_options.from_snapshot(voice)
    said += [
        f"{key.replace('_', ' ')} changed"
        for key in voice_options.VOICE_KEYS
        if old.get(key) != new.get(key)
    ]
    return said
