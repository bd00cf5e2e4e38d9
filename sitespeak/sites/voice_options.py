"""A site's voice options in ``sites.options``: provider overrides (validated by the providers'
own model), a greeting, a persona and the widget's acknowledgement sound. Edited from the admin
UI's site page."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from sitespeak.db.models import Site, utcnow
from sitespeak.errors import InvalidInput
from sitespeak.providers.config import SiteProviderOptions, site_options
from sitespeak.sites.registry import get_site

VOICE_KEYS = ("greeting", "persona", "providers", "ack_sound")  # their keys in sites.options


class VoiceOptions(BaseModel, extra="forbid"):
    greeting: str = Field("", max_length=300, description="What the widget says first.")
    persona: str = Field("", max_length=2000, description="How the assistant should sound.")
    providers: SiteProviderOptions = Field(default_factory=SiteProviderOptions)
    ack_sound: bool = Field(
        True,
        description="The widget plays a short, soft sound as soon as a question was heard.",
    )


def ack_sound(options: dict[str, Any] | None) -> bool:
    """On unless the owner turned it off (older sites have no such key)."""
    return (options or {}).get("ack_sound") is not False


def voice_options(site: Site) -> VoiceOptions:
    options = dict(site.options or {})
    return VoiceOptions(
        greeting=options.get("greeting", ""),
        persona=options.get("persona", ""),
        providers=site_options(options),
        ack_sound=ack_sound(options),
    )


def parse(raw: dict[str, Any]) -> VoiceOptions:
    try:
        return VoiceOptions.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def as_options(options: VoiceOptions) -> dict[str, Any]:
    """The keys of ``sites.options`` the voice options are stored under."""
    return {
        "greeting": options.greeting,
        "persona": options.persona,
        "providers": options.providers.model_dump(exclude_none=True),
        "ack_sound": options.ack_sound,
    }


def snapshot(site: Site) -> dict[str, Any]:
    """The voice options as a release records them (a bad providers option as it is stored:
    the providers' resolution reports it and uses the instance's, as it did before)."""
    try:
        return as_options(voice_options(site))
    except InvalidInput:
        return {k: v for k, v in (site.options or {}).items() if k in VOICE_KEYS}


def from_snapshot(recorded: dict[str, Any] | None) -> dict[str, Any]:
    """A release's recorded voice options as ``sites.options`` keys (older releases recorded
    the whole model, providers' unset fields included)."""
    try:
        return as_options(VoiceOptions.model_validate(recorded or {}))
    except ValidationError:  # a bad providers option, recorded as it was stored
        return {k: v for k, v in (recorded or {}).items() if k in VOICE_KEYS}


def set_voice_options(tenant_id: int, site_ref: int | str, options: VoiceOptions) -> Site:
    """Store the options, keeping any other keys of ``sites.options`` as they are."""
    site = get_site(tenant_id, site_ref)
    merged = {**(site.options or {}), **as_options(options)}
    (
        Site.update(options=merged, updated_at=utcnow())
        .where(Site.id == site.id, Site.tenant == tenant_id)
        .execute()
    )
    site.options = merged
    return site
