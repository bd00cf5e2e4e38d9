"""Instant answers: the worker's ``voice.prepare_answers`` has the speech process synthesize a
site's likely answers ahead of time, and a visitor's turn that says one gets its first audio
from the speech process's phrase cache, with no synthesis."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
import redis

from sitespeak.assembly import job_registry
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.speech.client import SpeechClient
from sitespeak.speech.prepared import decode
from tests.conftest import own_queues
from tests.support.processes import (
    speech_address,
    speech_health,
    start_speech,
    start_web,
    start_worker,
    wait_for,
)
from tests.voice.client import ask_text, open_session
from tests.voice.conftest import VOICE_ENV

pytestmark = pytest.mark.slow


def _job(job_id) -> Job:
    with database.connection_context():
        return Job.get_by_id(job_id)


def _finished(job_id) -> Job | None:
    job = _job(job_id)
    return job if job.status in ("succeeded", "dead") else None


def _own_speech_env(base_env: dict, tmp_path: Path) -> dict:
    """A speech process of the test's own (its phrase cache holds nothing another test asked,
    its state dir no audio another test prepared) and queues of its own."""
    return {
        **own_queues(base_env),
        **VOICE_ENV,
        "SITESPEAK_SPEECH_SOCKET": str(tmp_path / "speech.sock"),
        "SITESPEAK_STATE_DIR": str(tmp_path / "state"),  # and the prepared audio it keeps
        # Its workers' reapers leave other tests' waiting jobs alone: only this test's
        # preparation may reach its speech process.
        "SITESPEAK_JOB_LOST_AFTER": "86400",
    }


def _submit_prepare(env: dict, settings, site) -> Job:
    queues.bind(settings.model_copy(update={"redis_prefix": env["SITESPEAK_REDIS_PREFIX"]}))
    client = redis.Redis.from_url(settings.redis_url)
    jobs = JobQueue(job_registry(), EventPublisher(client, env["SITESPEAK_REDIS_PREFIX"]))
    with database.connection_context():
        job, _ = jobs.submit(site.tenant_id, "voice.prepare_answers", {"site_id": site.id})
    return job


async def test_a_prepared_answer_is_served_from_the_phrase_cache_and_another_is_not(
    base_env, settings, voice_site, tmp_path
):
    env = _own_speech_env(base_env, tmp_path)
    # The worker imports while the speech models load; the job is submitted once both are up.
    worker = start_worker(env, tmp_path, SITESPEAK_WORKER_QUEUES="voice")
    web = speech = None
    try:
        speech = start_speech(env, tmp_path)
        job = _submit_prepare(env, settings, voice_site)
        web = start_web(env, tmp_path, 60)
        done = wait_for(lambda: _finished(job.id), 120, 0.2, "the prepare job")
        assert done.status == "succeeded", done.last_error
        assert done.result["phrases"] > 4
        worker.stop()  # nothing else of the worker's may synthesize while the turns are counted
        worker = None

        socket = speech_address(env)
        before = speech_health(socket)["phrase_cache"]
        ws, _ = await open_session(web.url, voice_site.origin, voice_site.key)
        try:
            prepared = await ask_text(ws, "What is your phone number?")
            assert "555 0100" in prepared.done["text"]
            assert prepared.done["timings"].get("instant") == 1.0
            assert prepared.audio_frames > 0
            after = speech_health(socket)["phrase_cache"]
            assert after["misses"] == before["misses"]  # nothing was synthesized for it
            assert after["hits"] > before["hits"]

            reworded = await ask_text(ws, "Um, what's your PHONE number, please?")
            assert "555 0100" in reworded.done["text"]
            assert reworded.done["timings"].get("instant") == 1.0
            assert speech_health(socket)["phrase_cache"]["misses"] == before["misses"]

            other = await ask_text(ws, "How many bakers work there?")
            assert "eight bakers" in other.done["text"]
            assert "instant" not in other.done["timings"]
            assert speech_health(socket)["phrase_cache"]["misses"] > after["misses"]
        finally:
            await ws.close()
    finally:
        for proc in (web, worker, speech):
            if proc is not None:
                proc.stop()


def test_a_worker_stopped_mid_preparation_exits_and_another_resumes_without_redoing_phrases(
    base_env, settings, voice_site, tmp_path
):
    # A speech timeout far above the pause below: the phrase in flight then waits, not fails.
    env = {**_own_speech_env(base_env, tmp_path), "SITESPEAK_SPEECH_TIMEOUT": "120"}
    first = start_worker(env, tmp_path, "first", SITESPEAK_WORKER_QUEUES="voice")
    second = speech = None
    try:
        speech = start_speech(env, tmp_path)
        socket = speech_address(env)
        job = _submit_prepare(env, settings, voice_site)
        wait_for(lambda: speech_health(socket)["phrase_cache"]["misses"] >= 2, 120, 0.05, "phrases")
        # The speech process paused holds the job inside a phrase while its worker is told to
        # stop, so the stop lands mid-preparation however fast the box synthesizes.
        os.kill(speech.popen.pid, signal.SIGSTOP)
        try:
            first.popen.send_signal(signal.SIGTERM)
            wait_for(lambda: "stopping: letting" in first.output(), 30, 0.05, "the stop")
        finally:
            os.kill(speech.popen.pid, signal.SIGCONT)
        assert first.popen.wait(60) == 0, first.output()

        stopped = _job(job.id)
        assert stopped.status == "queued", stopped.last_error
        assert stopped.attempts == 0  # an interruption is not a failed attempt
        total = len(stopped.checkpoint["texts"])
        done = stopped.checkpoint["done"]
        assert 2 <= done < total  # the worker did not wait for the whole preparation
        cache = speech_health(socket)["phrase_cache"]
        assert cache["misses"] == done

        second = start_worker(env, tmp_path, "second", SITESPEAK_WORKER_QUEUES="voice")
        finished = wait_for(lambda: _finished(job.id), 120, 0.2, "the resumed job")
        assert finished.status == "succeeded", finished.last_error
        assert finished.result["resumed_at"] == done
        assert finished.result["phrases"] == total
        assert finished.checkpoint is None
        after = speech_health(socket)["phrase_cache"]
        # Each phrase synthesized once across both workers; none asked for again.
        assert after["misses"] == total
        assert after["hits"] == cache["hits"]
    finally:
        for proc in (second, first, speech):
            if proc is not None:
                proc.stop()


def _cached(settings, socket: Path, texts: list[str]) -> list[bool]:
    """Whether the speech process had each phrase in its cache, asked as a turn asks."""

    async def ask() -> list[bool]:
        client = SpeechClient(settings.model_copy(update={"speech_socket": str(socket)}))
        try:
            return [(await client.synthesize(text)).cached for text in texts]
        finally:
            client.close()

    return asyncio.run(ask())


def test_prepared_audio_survives_a_speech_process_restart_and_a_damaged_entry_is_made_again(
    base_env, settings, voice_site, tmp_path
):
    env = _own_speech_env(base_env, tmp_path)
    worker = start_worker(env, tmp_path, SITESPEAK_WORKER_QUEUES="voice")
    speech = None
    unprepared = "A sentence that no preparation asked for."
    try:
        speech = start_speech(env, tmp_path)
        socket = speech_address(env)
        job = _submit_prepare(env, settings, voice_site)
        done = wait_for(lambda: _finished(job.id), 120, 0.2, "the prepare job")
        assert done.status == "succeeded", done.last_error
        worker.stop()
        worker = None
        phrases = done.result["phrases"]
        assert _cached(settings, socket, [unprepared]) == [False]  # cached, but not prepared
        assert speech_health(socket)["phrase_cache"]["prepared"] == phrases
        assert speech.stop() == 0, speech.output()

        files = sorted((tmp_path / "state" / "speech" / "prepared").glob("*.phrase"))
        assert len(files) == phrases
        damaged, intact = files[0], files[1]
        damaged_text, intact_text = decode(damaged.read_bytes())[0], decode(intact.read_bytes())[0]
        data = bytearray(damaged.read_bytes())
        data[-10] ^= 0xFF
        damaged.write_bytes(bytes(data))

        speech = start_speech(env, tmp_path)
        cache = speech_health(socket)["phrase_cache"]
        assert cache["prepared"] == cache["entries"] == phrases - 1
        assert cache["misses"] == 0
        assert not damaged.exists()
        assert _cached(settings, socket, [intact_text, damaged_text, unprepared]) == [
            True,
            False,
            False,
        ]
    finally:
        for proc in (worker, speech):
            if proc is not None:
                proc.stop()
