"""What a site serves from its live release besides the chunks: the voice options (greeting,
persona, providers, acknowledgement sound) and the action catalog the release was published
with, so a rollback brings back the old voice and the old actions with the old text.

A release never changes, so what it offers is read once per process and kept by release id;
each call costs one read of the site's live pointer. A site without a release yet, or whose
live release recorded no settings (made by the releases migration), serves its settings as
they are."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sitespeak.actions import catalog, vetting
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.errors import NotFound
from sitespeak.releases.models import Release
from sitespeak.sites import voice_options
from sitespeak.voice.answer import Answer

CACHED_RELEASES = 256  # a few hundred sites' live offers; each is a catalog's worth of entries


@dataclass(frozen=True)
class LiveOffer:
    release_id: int | None  # None: the site has no release, its settings serve as they are
    voice: dict[str, Any]  # the voice options, as ``sites.options`` keys
    actions: tuple[catalog.OfferedAction, ...]


class _Offers:
    """Release id -> its offer, least recently used dropped first (shared by the db threads)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[int, LiveOffer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, release_id: int) -> LiveOffer | None:
        with self._lock:
            found = self._items.get(release_id)
            if found is not None:
                self._items.move_to_end(release_id)
            return found

    def put(self, offer: LiveOffer) -> None:
        assert offer.release_id is not None
        with self._lock:
            self._items[offer.release_id] = offer
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_offers = _Offers(CACHED_RELEASES)


def live_offer(site_id: int) -> LiveOffer:
    """Blocking (peewee): run it on the db threads."""
    row = database.execute_sql(
        "SELECT live_release_id FROM sites WHERE id = %s", (site_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no site {site_id}")
    release_id = row[0]
    offer = _offers.get(release_id) if release_id is not None else None
    if offer is None:
        offer = _read(site_id, release_id)
        if offer.release_id is not None:
            _offers.put(offer)
    return offer


def _read(site_id: int, release_id: int | None) -> LiveOffer:
    release = (
        Release.select(Release.voice, Release.actions).where(Release.id == release_id).get()
        if release_id is not None
        else None
    )
    if release is None or not recorded(release.voice):
        site = Site.get_by_id(site_id)
        return LiveOffer(None, _raw_voice(site.options), tuple(catalog.offered_now(site_id)))
    return LiveOffer(
        release_id,
        voice_options.from_snapshot(release.voice),
        tuple(catalog.offered(release.actions or [])),
    )


def recorded(voice: dict[str, Any] | None) -> bool:
    """Whether a release recorded its settings: the releases migration m0030 made of every
    site's chunks recorded none (an empty voice), and serve the site's settings as they are."""
    return bool(voice)


def _raw_voice(options: dict[str, Any] | None) -> dict[str, Any]:
    # As the site stores them: a bad providers option is reported (and bypassed) where the
    # providers are resolved, not here.
    return {k: v for k, v in (options or {}).items() if k in voice_options.VOICE_KEYS}


def serving_options(site: Site) -> dict[str, Any]:
    """The site's options with the voice options of its live release: what the widget, the
    try-it page and every voice turn use."""
    return {**(site.options or {}), **live_offer(site.id).voice}


def offered_actions(site_id: int) -> Sequence[catalog.OfferedAction]:
    return live_offer(site_id).actions


def vet(site_id: int, question: str, reply: Answer) -> Answer:
    """``actions.vetting.vet`` against what the site's live release offers."""
    return vetting.vet(offered_actions(site_id), question, reply)
