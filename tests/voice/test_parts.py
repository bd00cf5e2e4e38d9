"""The pipeline's parts on their own: protocol, endpointing on real speech, the answerer."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from sitespeak.errors import InvalidInput
from sitespeak.voice import protocol
from sitespeak.voice.answer import answer
from sitespeak.voice.audio import silence
from sitespeak.voice.phrases import (
    GROWTH,
    MIN_REST_WORDS,
    SHORT_FIRST_WORDS,
    split_answer,
)
from sitespeak.voice.vad import Endpointer
from tests.support.passages import Passage
from tests.voice.speech import speech, spoken

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


def _feed(pcm: bytes) -> tuple[list[str], float, float]:
    """Feed ``pcm`` in 20 ms frames: (events, seconds from the last sound louder than -40 dBFS
    to the first pause that starts a speculative run, the same to speech.stopped)."""
    vad = Endpointer(silence_ms=240)
    samples = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    last_sound = (int(np.flatnonzero(samples > 300)[-1]) + 1) / 16000
    events: list[str] = []
    paused = stopped = float("nan")
    for i in range(0, len(pcm), 640):
        now = (i + 640) / 32000  # the frame's end
        new = vad.feed(pcm[i : i + 640], now=now)
        if vad.paused and paused != paused:
            paused = now
        if "speech.stopped" in new:
            stopped = now
        events += new
    return events, paused - last_sound, stopped - last_sound


def test_the_speculative_run_starts_early_in_the_silence_after_the_last_word():
    # webrtcvad alone calls 120-150 ms of digital silence after the last word voiced; the run
    # starts 80 ms after the sound stops, the turn ends after webrtcvad's own 240 ms.
    events, paused, stopped = _feed(speech("What time do you open on Sunday?", 300, 800))
    assert events == ["speech.started", "speech.stopped"]
    assert paused <= 0.08 + 0.03, paused
    assert stopped >= 0.24 + 0.06, stopped


def test_a_pause_at_a_comma_does_not_end_the_turn():
    pcm = spoken("So, on Saturday, when do you close?", "piper", 300, 800, steady=True)
    events, _, _ = _feed(pcm)
    assert events == ["speech.started", "speech.stopped"]


def test_in_a_noisy_room_the_turn_still_ends_and_a_soft_voice_is_not_cut():
    rng = np.random.default_rng(7)
    quiet_question = (
        np.frombuffer(speech("What time do you open on Sunday?", 300, 1200), dtype=np.int16) / 8
    )
    noise = rng.normal(0, 60, len(quiet_question))  # about -55 dBFS: a room, a laptop fan
    pcm = np.clip(quiet_question + noise, -32768, 32767).astype(np.int16).tobytes()
    vad = Endpointer(silence_ms=240)
    events = []
    for i in range(0, len(pcm), 640):
        events += vad.feed(pcm[i : i + 640], now=i / 32000)
    assert events == ["speech.started", "speech.stopped"]
    assert 1.5 < len(vad.take()) / 32000 < 4.0


def test_silence_and_a_click_are_not_speech():
    vad = Endpointer()
    click = b"\xff\x7f\x00\x80" * 80
    assert vad.feed(silence(1000) + click + silence(500)) == []


def test_the_first_phrase_of_a_sentence_without_an_early_break_is_three_words():
    # What an answer not in the phrase cache waits for is the first phrase's synthesis, which
    # costs as long as the phrase is (six words were up to 2.5 s of speech, 0.4 CPU-s; four
    # ~1.4 s and 0.14 CPU-s; three ~1.1 s and 0.1 CPU-s).
    sentence = "Maria and Tom founded Sunrise Bakery in 1998 after training in Lyon."
    chunks = split_answer([sentence, "They bake every morning."])
    assert chunks == [
        "Maria and Tom",
        "founded Sunrise Bakery in 1998 after training in Lyon.",
        "They bake every morning.",
    ]


def test_a_first_phrase_ends_before_the_subject_that_follows_an_opening_phrase():
    sentence = "On Sunday we open at 9 am and close at 1 pm."
    assert split_answer([sentence])[:2] == ["On Sunday", "we open at 9 am"]
    assert split_answer(["Call us at 555 0100 today."])[0] == "Call us"


def test_a_short_first_phrase_never_ends_on_a_word_that_leans_on_the_next():
    sentence = "Maria and Tom founded Sunrise Bakery in 1998 after training in Lyon."
    assert split_answer([sentence], 2)[0] == "Maria and Tom"
    assert " ".join(split_answer([sentence], SHORT_FIRST_WORDS)) == sentence


def test_a_first_phrase_never_ends_inside_a_number():
    number = "Our number is 555 0100 for cake orders."
    assert split_answer([number], 4)[0] == "Our number is"
    # The number starts too early for a phrase before it: the sentence is spoken whole.
    early = "Call +47 555 01 587 any day or night."
    assert split_answer([early], 3) == [early]
    assert " ".join(split_answer([number], 4)) == number


def test_the_rest_of_a_long_first_sentence_is_cut_so_its_synthesis_fits_the_first_phrase():
    # "Call us" plays for ~0.5 s; the nine words after it, an email address among them, took
    # longer than that to synthesize: the listener heard 538 ms of silence after "Call us".
    # Each chunk of the first sentence is at most three times the one before it.
    sentence = "Call us at 555 0100 or send an email to hello@sunrise.test."
    chunks = split_answer([sentence, "Our shop is at 12 Harbour Street."])
    assert chunks == [
        "Call us",
        "at 555 0100",
        "or send an email to hello@sunrise.test.",
        "Our shop is at 12 Harbour Street.",
    ]
    assert split_answer(["On Sunday we open at 9 am and close at 1 pm."], SHORT_FIRST_WORDS) == [
        "On Sunday",
        "we open at 9 am",
        "and close at 1 pm.",
    ]


def test_the_second_chunk_ends_at_its_latest_clause_boundary_and_never_inside_a_number():
    long = (
        "Sunrise Bakery bakes sourdough bread, croissants and cinnamon buns every morning"
        " in the old harbour district."
    )
    assert split_answer([long]) == [
        "Sunrise Bakery bakes",
        "sourdough bread, croissants and cinnamon buns every morning",
        "in the old harbour district.",
    ]
    # The number runs past the second chunk's bound: rather than cut it, the rest stays whole.
    digits = "Call us at 555 0100 0200 0300 0400 0500 on any day of the week."
    assert split_answer([digits]) == ["Call us", digits.removeprefix("Call us ")]


def test_each_chunk_of_a_first_sentence_is_bounded_by_the_one_before_and_leaves_no_stub():
    sentences = [
        "We are open Monday to Friday from 7 am to 6 pm.",
        "Call us at 555 0100 or send an email to hello@sunrise.test.",
        "Cake orders need two days' notice and can be picked up from 10 am.",
        "Our shop is at 12 Harbour Street, next to the ferry terminal.",
    ]
    for first_words in (SHORT_FIRST_WORDS, 3):
        for sentence in sentences:
            chunks = split_answer([sentence], first_words)
            assert " ".join(chunks) == sentence
            assert len(chunks[-1].split()) >= MIN_REST_WORDS, chunks
            sizes = [len(chunk.split()) for chunk in chunks]
            assert all(b <= GROWTH * a for a, b in pairwise(sizes)), chunks
        assert split_answer(sentences, first_words)[-3:] == sentences[1:]


PASSAGES = [
    Passage(
        "https://b.test/hours",
        "opening-hours",
        "Opening hours",
        "Opening hours",
        "We are open Monday to Friday from 7 am to 6 pm. On Sunday we open at 9 am.",
    ),
    Passage(
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
