"""The latency path against real web processes and real models: text before audio, a short
first phrase, the speculative decode in the hangover (used, or discarded when the visitor goes
on), degrading when speech is unavailable, and admission control under overload."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from sitespeak.voice.audio import silence
from tests.support.processes import start_speech, start_web
from tests.voice.client import (
    Turn,
    ask_text,
    next_event,
    open_session,
    speak,
    until_done,
    until_response_done,
)
from tests.voice.conftest import VOICE_ENV
from tests.voice.speech import speech

pytestmark = pytest.mark.slow
OUT_16K = {"sample_rate": 16000, "frame_ms": 20}


async def test_a_typed_questions_whole_text_arrives_before_any_audio(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    turn = await ask_text(ws, "What are your opening hours?")
    deltas = turn.of("response.text.delta")
    assert turn.audio_frames > 0 and deltas
    assert deltas[0]["_at"] < turn.first_audio_at
    assert deltas[0]["text"] == turn.done["text"]  # the whole answer, not a first sentence
    await ws.close()


async def test_the_first_audio_is_a_short_phrase_and_the_rest_follows(voice_web, voice_site):
    ws, _ = await open_session(
        voice_web.url, voice_site.origin, voice_site.key, output_format=OUT_16K
    )
    turn = await ask_text(ws, "What are your opening hours?")
    timings = turn.done["timings"]
    first_ms = timings["first_phrase_audio_ms"]
    total_ms = len(turn.audio) / 32
    assert 0 < first_ms < 2500, timings
    assert total_ms > 2 * first_ms  # the rest of the answer followed the first phrase
    assert turn.done["text"].startswith(turn.of("response.text.delta")[0]["text"][:20])
    await ws.close()


async def test_a_spoken_turn_uses_the_decode_started_in_the_hangover(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await speak(ws, speech("What is your phone number?"))
    turn = await until_done(ws)
    timings = turn.done["timings"]
    assert timings["speculative"] == 1.0, timings
    assert "555 0100" in turn.done["text"]
    await ws.close()


async def test_a_speculative_decode_is_discarded_when_speech_resumes(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    # A pause shorter than the 240 ms hangover but long enough to start a speculative run, in
    # the middle of the question: that run must not answer "What time do you open". (piper ends
    # a clip with ~140 ms of its own silence and starts one with ~45 ms: trimmed here.)
    head = speech("What time do you open", 300, 0)
    head = head[: last_sound(head) + 640]  # 20 ms of the word's tail
    pcm = head + silence(140) + speech("on Sunday?", 0, 800)
    await speak(ws, pcm)
    turn = await until_done(ws)
    final = turn.of("transcript.final")[0]["text"].lower()
    assert "sunday" in final and "open" in final, final
    assert turn.done["timings"]["speculations_discarded"] >= 1, turn.done["timings"]
    assert "Sunday" in turn.done["text"]
    await ws.close()


async def _pause_after(ws, words: str) -> None:
    """Say ``words`` and stop: 260 ms of silence after the last sound (past the 240 ms hangover
    counted from it, short of webrtcvad's ~370 ms), time for the speculative run to finish
    however loaded the box is, then one more silent frame for the endpointer to look again.
    (Nothing the visitor gets says the run is done, so this is a wait: 6 s, not 3, for CI's
    loaded box.)"""
    pcm = speech(words, 300, 0)
    await speak(ws, pcm[: last_sound(pcm) + 2] + silence(260))
    await asyncio.sleep(6)
    await ws.send(silence(20))


async def test_a_whole_question_ends_the_turn_at_the_hangover_from_its_last_sound(
    voice_web, voice_site
):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await _pause_after(ws, "What is your phone number?")
    turn = await until_done(ws, 60)
    assert turn.done["timings"].get("early_end") == 1.0, turn.done["timings"]
    assert "555 0100" in turn.done["text"]
    await ws.close()


async def test_a_fragment_that_is_no_question_waits_for_the_whole_hangover(voice_web, voice_site):
    ws, _ = await open_session(voice_web.url, voice_site.origin, voice_site.key)
    await _pause_after(ws, "Hi, I would like to know,")
    with pytest.raises(TimeoutError):  # the visitor may go on: nothing ended the turn yet
        while (await next_event(ws, 1.0))["type"] != "speech.stopped":
            pass
    await speak(ws, silence(400))
    turn = await until_done(ws, 60)
    assert "early_end" not in turn.done["timings"], turn.done["timings"]
    await ws.close()


def last_sound(pcm: bytes) -> int:
    """Byte offset of the last sample louder than -40 dBFS."""
    samples = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    return int(np.flatnonzero(samples > 300)[-1]) * 2


@pytest.fixture(scope="module")
def speechless_web(base_env, voice_site, tmp_path_factory):
    """A web process whose speech engine cannot start (no model where it looks)."""
    tmp = tmp_path_factory.mktemp("speechless-web")
    env = {
        **base_env,
        **VOICE_ENV,
        "SITESPEAK_VOICE_STT_MODEL": str(tmp / "no-model-here"),
        "SITESPEAK_SPEECH_SOCKET": str(tmp / "no-speech-process.sock"),
    }
    proc = start_web(env, tmp, 60)
    yield proc
    proc.stop()


async def test_without_speech_a_typed_question_gets_its_text_and_a_clear_error(
    speechless_web, voice_site
):
    ws, _ = await open_session(speechless_web.url, voice_site.origin, voice_site.key)
    await ws.send(json.dumps({"type": "input.text", "text": "What is your address?"}))
    turn = await until_response_done(ws)
    assert "Harbour Street" in turn.of("response.text.delta")[0]["text"]
    assert [e["code"] for e in turn.of("error")] == ["speech_unavailable"]
    assert turn.audio_frames == 0 and "Harbour Street" in turn.done["text"]
    await ws.close()


async def test_without_speech_a_spoken_turn_is_told_not_dropped(speechless_web, voice_site):
    ws, _ = await open_session(speechless_web.url, voice_site.origin, voice_site.key)
    sender = asyncio.ensure_future(speak(ws, speech("What is your address?")))
    turn = await until_response_done(ws)
    await sender
    errors = turn.of("error")
    assert [e["code"] for e in errors] == ["speech_unavailable"]
    assert "type your question" in errors[0]["message"]
    assert turn.of("response.started") and turn.done["text"] == ""
    await ws.close()


@pytest.fixture(scope="module")
def crowded_web(base_env, voice_site, tmp_path_factory):
    """Admission budgets far below what ten simultaneous turns need on this box."""
    tmp = tmp_path_factory.mktemp("crowded-web")
    env = {
        **base_env,
        **VOICE_ENV,
        "SITESPEAK_VOICE_TURNS_PER_MINUTE": "100",
        "SITESPEAK_VOICE_ADMISSION_BUDGET_MS": "60",
        "SITESPEAK_VOICE_ADMISSION_MAX_WAIT_MS": "400",
        "SITESPEAK_VOICE_PARTIAL_INTERVAL_MS": "0",
    }
    proc = start_web(env, tmp, 60)
    yield proc
    proc.stop()


async def _crowd_member(web, site, question: str, spoken: bool) -> Turn:
    ws, _ = await open_session(web.url, site.origin, site.key, output_format=OUT_16K)
    try:
        if spoken:
            sender = asyncio.ensure_future(speak(ws, speech(question)))
            turn = await until_response_done(ws, 240)
            await sender
        else:
            await ws.send(json.dumps({"type": "input.text", "text": question}))
            turn = await until_response_done(ws, 240)
        return turn
    finally:
        await ws.close()


async def test_under_overload_every_turn_is_answered_or_told(crowded_web, voice_site):
    questions = ["What is your address?", "What is your phone number?", "Who founded the bakery?"]
    members = [(questions[n % 3], n % 2 == 0) for n in range(10)]
    turns = await asyncio.gather(
        *(_crowd_member(crowded_web, voice_site, q, spoken) for q, spoken in members)
    )
    levels = []
    for (question, spoken), turn in zip(members, turns, strict=True):
        done = turn.done
        told = {e["code"] for e in turn.of("error")} <= {"speech_busy", "speech_unavailable"}
        assert told, turn.of("error")
        assert done["text"] or turn.of("error"), (question, done)  # answered, or told
        if not spoken:  # a typed question always gets its text
            assert turn.of("response.text.delta"), question
        levels.append(done["timings"].get("admission_level", 0))
        if done["timings"].get("admission_level") == 3.0:
            assert turn.audio_frames == 0 and "speech_busy" in {e["code"] for e in turn.of("error")}
    assert max(levels) > 0, levels  # admission control acted: the budgets were exceeded


@pytest.fixture(scope="module")
def filler_web(base_env, voice_site, tmp_path_factory):
    """Admission plays the filler ("One moment.") first at a predicted wait of a few ms; a
    speech process of its own, whose phrase cache no other test filled."""
    tmp = tmp_path_factory.mktemp("filler-web")
    env = {
        **base_env,
        **VOICE_ENV,
        "SITESPEAK_STATE_DIR": str(tmp),  # no prepared audio restored from other tests
        "SITESPEAK_SPEECH_SOCKET": str(tmp / "speech.sock"),
        "SITESPEAK_VOICE_TURNS_PER_MINUTE": "100",
        "SITESPEAK_VOICE_ADMISSION_BUDGET_MS": "1",
        "SITESPEAK_VOICE_ADMISSION_MAX_WAIT_MS": "600000",
        "SITESPEAK_VOICE_PARTIAL_INTERVAL_MS": "0",
    }
    speech_proc = start_speech(env, tmp)
    proc = start_web(env, tmp, 60)
    yield proc
    proc.stop()
    speech_proc.stop()


async def _answered(web, site, question: str, answering: asyncio.Event) -> None:
    """A typed question whose answer's text has come (``answering`` is set then, while its
    audio is being synthesized), heard to its end."""
    ws, _ = await open_session(web.url, site.origin, site.key, output_format=OUT_16K)
    try:
        await ws.send(json.dumps({"type": "input.text", "text": question}))
        while (await next_event(ws, 120))["type"] != "response.text.delta":
            pass
        answering.set()
        await until_response_done(ws, 240)
    finally:
        await ws.close()


async def test_an_instant_answer_under_load_is_not_delayed_by_the_filler(filler_web, voice_site):
    question = "Where is the bakery?"

    async def round_of_turns(other_question: str) -> list[Turn]:
        # Another visitor's answer being synthesized: the speech engine is busy for a moment.
        # Its text comes before its audio: the four ask once it has, rather than a fixed 0.3 s
        # after its question, which a loaded box may not have answered by then.
        answering = asyncio.Event()
        other = asyncio.ensure_future(_answered(filler_web, voice_site, other_question, answering))
        await asyncio.wait_for(answering.wait(), 120)
        turns = await asyncio.gather(
            *(_crowd_member(filler_web, voice_site, question, False) for _ in range(4))
        )
        await other
        return [t for t in turns if t.done["timings"].get("admission_level") == 2.0]

    # First round: the answer is synthesized (one synthesis shared by all), the filler plays.
    first = await round_of_turns("Who founded the bakery?")
    synthesized = [t for t in first if "instant" not in t.done["timings"]]
    # Second round: the same phrases are in the phrase cache, an instant answer.
    second = await round_of_turns("What do you bake every morning?")
    instant = [t for t in second if t.done["timings"].get("instant") == 1.0]
    assert synthesized and instant, "no cached_first turn of each kind: admission did not act"
    with_filler = len(synthesized[0].audio)  # "One moment." and then the answer
    for turn in instant:
        # The same answer audio from the cache, and nothing before it.
        assert 0 < len(turn.audio) < with_filler, (len(turn.audio), with_filler)
        assert turn.done["timings"]["filler"] == 0.0, turn.done["timings"]
