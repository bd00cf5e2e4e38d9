"""Changing a site's voice options the way its owner does (the admin's voice form): a site with
a live release serves the options of that release, so writing ``sites.options`` directly no
longer reaches visitors."""

from __future__ import annotations

from typing import Any

import redis

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.events.bus import EventPublisher
from sitespeak.releases import edits
from sitespeak.settings import Settings
from sitespeak.sites import voice_options


def change_voice(settings: Settings, site_id: int, **changes: Any) -> voice_options.VoiceOptions:
    """Save the site's voice options with ``changes``; returns them as they were before."""
    with database.connection_context():
        site = Site.get_by_id(site_id)
        before = voice_options.voice_options(site)
        edits.set_voice_options(
            site.tenant_id,
            site.id,
            voice_options.VoiceOptions.model_validate({**before.model_dump(), **changes}),
            "test",
            settings,
            # As the admin's: web processes swap their knowledge on it (the switch bumps the
            # site's knowledge version, and a replica left behind answers with the old one).
            EventPublisher(redis.Redis.from_url(settings.redis_url), settings.redis_prefix).publish,
        )
    return before


def restore_voice(settings: Settings, site_id: int, before: voice_options.VoiceOptions) -> None:
    change_voice(settings, site_id, **before.model_dump())
