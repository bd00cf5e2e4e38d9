"""Which provider each stage of a site's voice sessions uses: the instance's Settings, overridden
per site by ``sites.options["providers"]``.

The API key is never part of a site's options nor of a ``ProviderChoice``: it comes only from
Settings (``SITESPEAK_OPENAI_API_KEY`` or its ``_FILE``) and is handed to the client object that
needs it. A site that points ``base_url`` elsewhere gets no key at all, so a tenant cannot
redirect the instance's key to a server of its own.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sitespeak.errors import InvalidInput
from sitespeak.settings import Settings

Kind = Literal["local", "openai"]
NAME = r"^[A-Za-z0-9._:/-]{1,100}$"


class SiteProviderOptions(BaseModel):
    """What a site may set in ``options.providers`` (every field optional)."""

    model_config = ConfigDict(extra="forbid")

    stt: Kind | None = None
    answerer: Kind | None = None
    tts: Kind | None = None
    embeddings: Kind | None = None
    realtime: bool | None = None
    base_url: str | None = Field(None, pattern=r"^https?://[^\s]{1,300}$")
    chat_model: str | None = Field(None, pattern=NAME)
    stt_model: str | None = Field(None, pattern=NAME)
    tts_model: str | None = Field(None, pattern=NAME)
    voice: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    realtime_model: str | None = Field(None, pattern=NAME)


class ProviderChoice(BaseModel):
    """The resolved choice for one site. Safe to log, store and show: it holds no secret."""

    model_config = ConfigDict(frozen=True)

    stt: Kind = "local"
    answerer: Kind = "local"
    tts: Kind = "local"
    embeddings: Kind = "local"
    realtime: bool = False
    base_url: str = ""
    realtime_url: str = ""
    chat_model: str = ""
    stt_model: str = ""
    tts_model: str = ""
    voice: str = ""
    realtime_model: str = ""
    send_key: bool = Field(True, description="False when a site redirected base_url.")

    @property
    def uses_openai(self) -> bool:
        return self.realtime or "openai" in (self.stt, self.answerer, self.tts)

    def record(self) -> dict[str, str]:
        """What a conversation row says about its providers."""
        if self.realtime:
            return {"mode": "realtime", "model": self.realtime_model}
        return {
            "stt": self._name(self.stt, self.stt_model, "faster-whisper"),
            "answer": self._name(self.answerer, self.chat_model, "extractive"),
            "tts": self._name(self.tts, self.tts_model, "piper"),
        }

    @staticmethod
    def _name(kind: str, model: str, local: str) -> str:
        return f"openai:{model}" if kind == "openai" else local


def site_options(options: dict[str, Any] | None) -> SiteProviderOptions:
    """A site's ``options.providers``, validated, or InvalidInput naming the bad field."""
    raw = (options or {}).get("providers") or {}
    try:
        return SiteProviderOptions.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "providers"
        raise InvalidInput(f"options.providers.{where}: {err['msg']}") from None


def resolve(settings: Settings, options: dict[str, Any] | None = None) -> ProviderChoice:
    site = site_options(options)
    base_url = (site.base_url or settings.openai_base_url).rstrip("/")
    own_url = site.base_url is None or base_url == settings.openai_base_url.rstrip("/")
    return ProviderChoice(
        stt=site.stt or settings.provider_stt,
        answerer=site.answerer or settings.provider_answerer,
        tts=site.tts or settings.provider_tts,
        embeddings=site.embeddings or settings.embedder,
        realtime=settings.provider_realtime if site.realtime is None else site.realtime,
        base_url=base_url,
        realtime_url=realtime_url(settings.openai_realtime_url if own_url else "", base_url),
        chat_model=site.chat_model or settings.openai_chat_model,
        stt_model=site.stt_model or settings.openai_stt_model,
        tts_model=site.tts_model or settings.openai_tts_model,
        voice=site.voice or settings.openai_tts_voice,
        realtime_model=site.realtime_model or settings.openai_realtime_model,
        send_key=own_url,
    )


def realtime_url(configured: str, base_url: str) -> str:
    if configured:
        return configured.rstrip("/")
    return base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


def api_key(settings: Settings, choice: ProviderChoice) -> str:
    """The key to send with this choice's requests ("none" when it must not get ours)."""
    key = settings.openai_api_key.get_secret_value() if choice.send_key else ""
    return key or "none"
