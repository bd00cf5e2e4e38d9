"""The speech process (PROCESS_TYPE=speech): web processes speak through it over its socket,
share it, survive its restart, and load no speech model themselves."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.processes import Proc
from tests.voice.client import open_session, speak, until_done
from tests.voice.speech import speech

pytestmark = pytest.mark.slow
# Native libraries of the speech models: mapped only into a process that loaded a model.
SPEECH_LIBRARIES = ("libctranslate2", "espeakbridge")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Granian's worker processes serve the requests)."""
    import psutil

    root = psutil.Process(pid)
    return [pid, *(child.pid for child in root.children(recursive=True))]


def mapped_speech_libraries(pid: int) -> set[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name for name in SPEECH_LIBRARIES if name in maps}


async def spoken_turn(web: Proc, site, question: str):
    ws, _ = await open_session(web.url, site.origin, site.key)
    try:
        sender = asyncio.ensure_future(speak(ws, speech(question)))
        turn = await until_done(ws)
        await sender
        return turn
    finally:
        await ws.close()


async def test_a_spoken_question_goes_through_the_speech_process_and_back(voice_web, voice_site):
    turn = await spoken_turn(voice_web, voice_site, "What is your phone number?")
    assert "phone" in turn.of("transcript.final")[0]["text"].lower()
    assert "555 0100" in turn.done["text"]
    assert turn.audio_frames > 0 and not turn.of("error")


async def test_the_web_process_loads_no_speech_model(voice_web, voice_site, speech_process):
    await spoken_turn(voice_web, voice_site, "Where are you?")  # speech was used
    for pid in process_tree(voice_web.popen.pid):
        assert mapped_speech_libraries(pid) == set(), pid
    assert mapped_speech_libraries(speech_process.popen.pid) == set(SPEECH_LIBRARIES)
