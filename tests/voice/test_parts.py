"""The pipeline's parts on their own: protocol, endpointing on real speech, the answerer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitespeak.errors import InvalidInput
from sitespeak.voice import protocol
from sitespeak.voice.answer import answer
from sitespeak.voice.audio import silence
from sitespeak.voice.vad import Endpointer
from tests.voice.speech import speech

ROOT = Path(__file__).resolve().parents[2]


def test_the_exported_json_schema_matches_the_models():
    stored = json.loads((ROOT / "docs" / "voice-protocol.schema.json").read_text())
    assert stored == json.loads(json.dumps(protocol.json_schema())), (
        "regenerate: python -m sitespeak.voice.protocol > docs/voice-protocol.schema.json"
    )


def test_client_messages_parse_into_their_models_with_precise_errors():
    start = protocol.parse_client(json.dumps({"type": "session.start", "site_key": "pk_abcd"}))
    assert isinstance(start, protocol.SessionStart) and start.input_format.sample_rate == 16000
    with pytest.raises(InvalidInput, match="input.text: text: String should have at least"):
        protocol.parse_client('{"type": "input.text", "text": ""}')
    with pytest.raises(InvalidInput, match="not JSON"):
        protocol.parse_client("{")
    with pytest.raises(InvalidInput, match="string 'type'"):
        protocol.parse_client("[1, 2]")


def test_endpointing_finds_one_utterance_in_real_speech():
    vad = Endpointer(silence_ms=240)
    events = []
    pcm = speech("What time do you open on Sunday?")
    for i in range(0, len(pcm), 640):
        events += vad.feed(pcm[i : i + 640], now=i / 32000)
    assert events == ["speech.started", "speech.stopped"]
    assert 1.0 < len(vad.take()) / 32000 < 4.0


def test_silence_and_a_click_are_not_speech():
    vad = Endpointer()
    click = b"\xff\x7f\x00\x80" * 80
    assert vad.feed(silence(1000) + click + silence(500)) == []


@dataclass
class P:
    url: str
    anchor: str
    title: str
    heading: str
    text: str
    score: float = 1.0


PASSAGES = [
    P(
        "https://b.test/hours",
        "opening-hours",
        "Opening hours",
        "Opening hours",
        "We are open Monday to Friday from 7 am to 6 pm. On Sunday we open at 9 am.",
    ),
    P(
        "https://b.test/contact",
        "contact",
        "Contact us",
        "Contact us",
        "Call us at 555 0100. Our shop is at 12 Harbour Street.",
    ),
]


def test_the_answer_is_extracted_from_the_best_passage_and_cited():
    reply = answer("when do you open on sunday", PASSAGES)
    assert reply.covered and reply.sentences[0] == "On Sunday we open at 9 am."
    assert reply.citations[0]["url"] == "https://b.test/hours"


def test_an_uncovered_question_gets_no_invented_answer():
    reply = answer("do you sell bicycles", PASSAGES)
    assert not reply.covered and reply.citations == [] and "couldn't find" in reply.text


def test_navigation_intents_become_page_actions():
    page = answer("take me to the contact page", PASSAGES)
    assert page.actions == [
        {
            "kind": "navigate",
            "url": "https://b.test/contact",
            "anchor": "contact",
            "label": "Contact us",
        }
    ]
    missing = answer("take me to the careers page", PASSAGES)
    assert missing.actions == [] and not missing.covered


async def test_a_sentence_is_synthesized_once_and_then_reused():
    import asyncio

    from sitespeak.voice.speech_cache import SentenceCache

    cache, calls = SentenceCache(max_bytes=10), []

    async def make(text: str):
        calls.append(text)
        await asyncio.sleep(0.01)
        return text.encode(), 16000

    together = await asyncio.gather(*(cache.get("Hi.", lambda: make("Hi.")) for _ in range(3)))
    assert together == [(b"Hi.", 16000)] * 3 and calls == ["Hi."]
    assert await cache.get("Hi.", lambda: make("Hi.")) == (b"Hi.", 16000)
    await cache.get("A longer one.", lambda: make("A longer one."))  # over 10 bytes: evicts
    await cache.get("Hi.", lambda: make("Hi."))
    assert calls == ["Hi.", "A longer one.", "Hi."] and cache.bytes <= 10


def test_espeak_ng_is_a_working_light_fallback_voice():
    import shutil

    from sitespeak.voice.audio import rms
    from sitespeak.voice.tts import load_synthesizer

    if not shutil.which("espeak-ng"):
        pytest.skip("needs the Debian package espeak-ng (apt-get install espeak-ng)")
    voice = load_synthesizer("espeak")
    pcm = voice.synthesize("We open at nine on Sunday.")
    assert voice.sample_rate == 22050 and len(pcm) > voice.sample_rate and rms(pcm) > 300
