"""Speech for the worker's background jobs (instant answers): the speech process's client at
its background priority, below every visitor's turn. The worker never loads a model itself."""

from __future__ import annotations

from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient
from sitespeak.voice.speech_api import PRIORITY_BACKGROUND


class BackgroundSpeech:
    def __init__(self, settings: Settings) -> None:
        self.client = SpeechClient(settings)

    async def ready(self) -> None:
        await self.client.ready()

    async def say(self, text: str) -> bool:
        """Synthesized into the speech process's phrase cache; True when it was there."""
        return (await self.client.synthesize(text, priority=PRIORITY_BACKGROUND)).cached

    def close(self) -> None:
        self.client.close()
