"""A voice session's providers: built once per session from the site's resolved choice, asked per
turn for the speech engine and answerer the turn pipeline calls."""

from __future__ import annotations

import threading
from typing import Any

from sitespeak.providers.catalog import Catalog
from sitespeak.providers.chat import OpenAIAnswerer, Retriever
from sitespeak.providers.config import ProviderChoice, api_key
from sitespeak.providers.speech import ProviderSpeech
from sitespeak.settings import Settings
from sitespeak.voice.persona import Persona
from sitespeak.voice.speech_api import Speech, SpeechEngine


class Clients:
    """One AsyncOpenAI client per (base URL, key or not): connection pools are reused across
    sessions. The key lives only inside the client objects."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[tuple[str, bool], Any] = {}
        self._lock = threading.Lock()

    def get(self, choice: ProviderChoice) -> Any:
        from openai import AsyncOpenAI

        key = (choice.base_url, choice.send_key)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = AsyncOpenAI(
                    base_url=choice.base_url,
                    api_key=api_key(self.settings, choice),
                    websocket_base_url=choice.realtime_url or None,
                    timeout=self.settings.openai_timeout,
                    max_retries=0,
                )
            return self._clients[key]

    async def close(self) -> None:
        for client in list(self._clients.values()):
            await client.close()
        self._clients.clear()


class SessionProviders:
    def __init__(
        self,
        settings: Settings,
        choice: ProviderChoice,
        local: SpeechEngine,
        clients: Clients,
        retrieve: Retriever,
        site_id: int,
        catalog: Catalog,
        persona: Persona | None = None,
    ) -> None:
        self.settings, self.choice, self.local = settings, choice, local
        self.persona = persona or Persona()  # the site's: both answerers word with it
        self.greeting = ""  # what the widget says first (session.ready)
        self.client = clients.get(choice) if choice.uses_openai else None
        self.retrieve, self.site_id, self.catalog = retrieve, site_id, catalog

    def record(self) -> dict[str, str]:
        return self.choice.record()

    def for_turn(self, notes: dict[str, str]) -> tuple[Speech, OpenAIAnswerer | None]:
        """(speech engine, answerer or None for the local one) for one turn; fallbacks are
        written into ``notes``, which the turn stores with its provider record."""
        c, budget = self.choice, self.settings.openai_first_token_budget
        notes.update(self.record())
        speech: Speech = self.local
        if "openai" in (c.stt, c.tts):
            speech = ProviderSpeech(
                self.local,
                self.client,
                c.stt_model if c.stt == "openai" else None,
                c.tts_model if c.tts == "openai" else None,
                c.voice,
                budget,
                notes,
            )
        answerer = None
        if c.answerer == "openai":
            answerer = OpenAIAnswerer(
                self.client,
                c.chat_model,
                budget,
                self.retrieve,
                self.site_id,
                self.catalog,
                self.persona,
            )
        return speech, answerer
