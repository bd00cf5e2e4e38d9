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
from sitespeak.db.models import Job, Site
from sitespeak.events.bus import EventPublisher
from sitespeak.instant.prepared_set import load_set, site_set
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.sites import create_site
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
from tests.support.site_server import NOT_FOUND, Reply, Request, SiteServer
from tests.voice.client import ask_text, open_session
from tests.voice.conftest import VOICE_ENV
from tests.voice.indexing import index_site
from tests.voice.test_speech_process import mapped_speech_libraries
from tests.voice.testsite import PAGES

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


async def test_answers_prepared_by_a_worker_without_models_are_served_from_the_phrase_cache(
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
        # Its questions were embedded by the speech process: no model was loaded here.
        assert mapped_speech_libraries(worker.popen.pid) == set()
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
            # Its answer was composed for the first asking: this turn composed none.
            assert "answer_prepared" not in prepared.done["timings"]
            assert reworded.done["timings"].get("answer_prepared") == 1.0
            assert reworded.done["text"] == prepared.done["text"]
            assert speech_health(socket)["phrase_cache"]["misses"] == before["misses"]

            other = await ask_text(ws, "How many bakers work there?")
            assert "eight bakers" in other.done["text"]
            assert "instant" not in other.done["timings"]
            assert "answer_prepared" not in other.done["timings"]
            assert speech_health(socket)["phrase_cache"]["misses"] > after["misses"]
        finally:
            await ws.close()
    finally:
        for proc in (web, worker, speech):
            if proc is not None:
                proc.stop()


def test_answers_are_prepared_from_keywords_when_the_speech_process_has_no_embedder(
    base_env, settings, voice_site, tmp_path
):
    env = _own_speech_env(base_env, tmp_path)
    worker = start_worker(env, tmp_path, SITESPEAK_WORKER_QUEUES="voice")
    # A speech process set up for an embeddings API holds no local embedder.
    speech = start_speech(env, tmp_path, SITESPEAK_EMBEDDER="openai")
    try:
        job = _submit_prepare(env, settings, voice_site)
        done = wait_for(lambda: _finished(job.id), 120, 0.2, "the prepare job")
        assert done.status == "succeeded", done.last_error
        assert done.result["phrases"] > 4
        assert "answers prepared from keywords alone" in worker.output()
        assert mapped_speech_libraries(worker.popen.pid) == set()  # nor loaded one itself
    finally:
        worker.stop()
        speech.stop()


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
            wait_for(lambda: "stopping: letting" in first.output(), 60, 0.05, "the stop")
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


# More to the bakery than its key facts (each a paragraph of one line, as its passage reads),
# so that each answer's passages are a few of the site's, not all of them.
MORE = {
    "/menu": "Our menu lists rye bread, spelt rolls, apple pie and lemon tarts.",
    "/delivery": "We deliver bread to offices in the harbour district every weekday morning.",
    "/allergens": "Every product label lists nuts, gluten, milk and eggs where they are used.",
    "/jobs": "We are hiring a night baker and a weekend shop assistant.",
    "/events": "Bread baking workshops take place on the first Saturday of every month.",
    "/coffee": "Espresso and filter coffee are made with beans from a local roaster.",
    "/gifts": "Gift vouchers are sold in the shop in values of 10, 20 and 50 euros.",
    "/parking": "Free parking is available behind the ferry terminal for thirty minutes.",
}


def _bigger_bakery() -> dict[str, str]:
    pages = dict(PAGES)
    links = " ".join(f'<a href="{path}">{path[1:]}</a>' for path in MORE)
    pages["/"] = pages["/"].replace("</main>", f"<p>{links}</p></main>")
    for path, text in MORE.items():
        title = f"{path[1:].title()} - Sunrise Bakery"
        pages[path] = f"<html><head><title>{title}</title></head><body><main><p>{text}</p>"
        pages[path] += "</main></body></html>"
    return pages


def _answers(tenant_id: int, site_id: int) -> dict[str, tuple]:
    """question -> (knowledge version, prepared at, the URLs and texts of its passages)."""
    with database.connection_context():
        rows = site_set(tenant_id, site_id)
    return {
        row.question: (
            row.knowledge_version,
            row.prepared_at,
            [(p["url"], p["text"]) for p in row.passages],
        )
        for row in rows
    }


def test_a_recrawl_invalidates_only_the_prepared_answers_whose_passages_changed(
    base_env, settings, alice, tmp_path
):
    pages = _bigger_bakery()  # this test's own bakery, changed half-way

    def respond(request: Request) -> Reply:
        body = pages.get(request.path)
        return NOT_FOUND if body is None else Reply(200, body)

    env = _own_speech_env(base_env, tmp_path)
    worker = start_worker(env, tmp_path, SITESPEAK_WORKER_QUEUES="voice")
    speech = None
    try:
        with SiteServer(respond) as server:
            with database.connection_context():
                site = create_site(
                    alice.tenant.id, "Changing Bakery", [server.url], True, privileged=True
                )
            index_site(env, site.id, site.name, alice.tenant.name, tmp_path)
            speech = start_speech(env, tmp_path)
            job = _submit_prepare(env, settings, site)
            first = wait_for(lambda: _finished(job.id), 120, 0.2, "the first preparation")
            assert first.status == "succeeded", first.last_error
            before = _answers(site.tenant_id, site.id)

            # A passage some answers were composed from and others not, its page changed.
            used = [text for _, (_, _, found) in before.items() for _, text in found]
            old = next(t for t in MORE.values() if 0 < used.count(t) < len(before))
            path = next(path for path, text in MORE.items() if text == old)
            new = f"From this week: {old}"
            pages[path] = pages[path].replace(old, new)
            index_site(env, site.id, site.name, alice.tenant.name, tmp_path)
        with database.connection_context():
            version = Site.get_by_id(site.id).knowledge_version
            matched = set(load_set(site.id, version))
        changed = {q for q, (_, _, found) in before.items() if any(t == old for _, t in found)}
        unchanged = set(before) - changed
        assert changed and unchanged
        assert all(before_version < version for before_version, _, _ in before.values())
        # Matched at the new version at once, before any preparation: only the answers whose
        # passages are the same.
        assert len(matched) == len(unchanged)

        job = _submit_prepare(env, settings, site)
        second = wait_for(lambda: _finished(job.id), 120, 0.2, "the second preparation")
        assert second.status == "succeeded", second.last_error
        assert second.result["kept"] == len(unchanged)
        after = _answers(site.tenant_id, site.id)
        assert set(after) == set(before)
        assert {v for v, _, _ in after.values()} == {version}
        for question in unchanged:  # kept as prepared, not searched for again
            assert after[question][1:] == before[question][1:], question
        for question in changed:  # searched for again, among the new words
            assert after[question][1] > before[question][1], question
            assert old not in [text for _, text in after[question][2]], question
        with database.connection_context():
            assert len(load_set(site.id, version)) == len(before)
    finally:
        for proc in (worker, speech):
            if proc is not None:
                proc.stop()
