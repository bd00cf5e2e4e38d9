"""Wires the providers into a web process: one OpenAI client pool per process, and per voice
session the site's resolved choice (local pipeline, OpenAI stages, or the Realtime bridge)."""

from __future__ import annotations

import logging
from typing import Any

from sitespeak.errors import InvalidInput
from sitespeak.knowledge import navigation
from sitespeak.providers.catalog import MAX_PAGES, MAX_SECTIONS, Catalog
from sitespeak.providers.config import resolve
from sitespeak.providers.session import SessionProviders
from sitespeak.voice.live import LiveSession
from sitespeak.voice.persona import site_persona
from sitespeak.web.runtime import WebRuntime

log = logging.getLogger(__name__)


def live_catalog(site_id: int) -> Catalog:
    """The chat tools' targets: the pages and sections of the site's live release. Blocking."""
    return Catalog.of(
        navigation.live_pages(site_id, MAX_PAGES), navigation.live_sections(site_id, MAX_SECTIONS)
    )


async def session_providers(rt: WebRuntime, services: Any, site: Any) -> SessionProviders:
    try:
        choice = resolve(rt.settings, getattr(site, "options", None))
    except InvalidInput as exc:  # a bad site option must not take the widget down
        log.warning("site %s: %s; using the instance's providers", site.id, exc.message)
        choice = resolve(rt.settings)
    needs_catalog = choice.realtime or choice.answerer == "openai"
    catalog = await rt.db.run(live_catalog, site.id) if needs_catalog else Catalog()
    options = getattr(site, "options", None) or {}
    persona = site_persona(options)
    providers = SessionProviders(
        rt.settings,
        choice,
        services.engine,
        rt.providers,
        services.retrieve,
        site.id,
        catalog,
        persona,
    )
    providers.greeting = persona.greeting(getattr(site, "name", ""), options.get("greeting", ""))
    return providers


def live_session(
    services: Any,
    wire: Any,
    state: Any,
    resumed: bool,
    start: Any,
    ip: str,
    providers: SessionProviders,
    ack_sound: bool = True,
) -> Any:
    """A LiveSession (turn pipeline) or, for Realtime sites, a RealtimeSession: same interface."""
    if providers.choice.realtime:
        from sitespeak.providers.realtime import RealtimeSession

        return RealtimeSession(
            services, wire, state, resumed, start, ip, providers, ack_sound=ack_sound
        )
    return LiveSession(
        services, wire, state, resumed, start, ip, providers=providers, ack_sound=ack_sound
    )
