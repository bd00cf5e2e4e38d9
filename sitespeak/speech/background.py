"""Speech for the worker's background jobs (instant answers): the speech process's client at
its background priority, below every visitor's turn. The worker never loads a model itself:
the phrases are synthesized there, and the questions they answer are embedded there too."""

from __future__ import annotations

import numpy as np

from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient
from sitespeak.voice.speech_api import PRIORITY_BACKGROUND


class BackgroundSpeech:
    def __init__(self, settings: Settings) -> None:
        self.client = SpeechClient(settings)

    async def ready(self) -> None:
        await self.client.ready()

    @property
    def embedder_name(self) -> str:
        """The speech process's query embedder (known once ready); empty: it has none."""
        return self.client.embedder_name

    async def say(self, text: str) -> bool:
        """Synthesized into the speech process's phrase cache; True when it was there."""
        return (await self.client.synthesize(text, priority=PRIORITY_BACKGROUND)).cached

    async def embed(self, texts: list[str]) -> tuple[str, np.ndarray]:
        """Vectors of the speech process's embedder, after every visitor's question; waits as
        long as a visitor's synthesis may (speech_timeout), not a question's few seconds."""
        return await self.client.embed(
            texts, priority=PRIORITY_BACKGROUND, timeout=self.client.timeout
        )

    def close(self) -> None:
        self.client.close()
