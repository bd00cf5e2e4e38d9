"""The site's greeting, spoken: the first words a visitor hears when they first turn the
microphone on. The instant-answer job prepares these exact phrases, so they usually come
straight from the speech process's phrase cache."""

from __future__ import annotations

import asyncio
import logging

from sitespeak.voice.audio import resample
from sitespeak.voice.phrases import split_answer
from sitespeak.voice.speakable import speakable
from sitespeak.voice.speech_api import PRIORITY_LATER, Speech
from sitespeak.voice.turn import Outlet

log = logging.getLogger(__name__)


async def say_greeting(text: str, engine: Speech, out: Outlet, rate: int, first_words: int) -> None:
    """Speak ``text`` phrase by phrase. A greeting is a courtesy, not an answer: when the voice
    fails it is skipped with a log line, and the session goes on. It waits behind other
    visitors' first phrases: their answers matter more than this one's hello."""
    spoken = 0
    try:
        for chunk in split_answer([text], first_words):
            pcm, source_rate = await engine.synthesize(speakable(chunk), priority=PRIORITY_LATER)
            await out.audio(resample(pcm, source_rate, rate))
            spoken += 1
    except asyncio.CancelledError:
        # Stopped by the visitor talking or typing; on a busy box that can be before its first
        # phrase was ready, which is worth knowing when someone asks why they heard no hello.
        log.info("greeting stopped by the visitor after %d phrase(s)", spoken)
        raise
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.warning("greeting not spoken: %s", exc)
