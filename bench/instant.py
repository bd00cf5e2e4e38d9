"""Instant answers: first audio of a prepared question against an unprepared one, through a real
web process, speech process and worker (issue 14; goal: first audio <= 50 ms for a prepared
question). The bakery test site is crawled and indexed, the worker prepares its answers, then
each round restarts the speech process (its phrase cache keeps only what was prepared, reloaded
from the state dir) and asks one prepared and one unprepared question, in alternating order,
each in a session of its own. Prints medians, p95 and the load average; nothing is asserted.

    python bench/instant.py [--rounds 10]

Two figures per question: the server's `eos_to_first_audio_ms` (from the end-of-speech
decision; for a typed question, its arrival) and the client's send -> first audio frame.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import redis
from _paced import load
from _stack import bench_services, env_for, percentile

from sitespeak.assembly import job_registry
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.settings import Settings
from sitespeak.sites import create_site
from sitespeak.tenancy.tenants import create_tenant
from tests.support.processes import start_speech, start_web, start_worker, wait_for
from tests.voice.client import open_session, until_done
from tests.voice.indexing import index_site
from tests.voice.testsite import serve_site

PREPARED = [
    "What is your phone number?",
    "Um, what's your phone number, please?",
    "What are your opening hours?",
    "What is your email address?",
    "Where are you?",
]
UNPREPARED = [
    "Who founded the bakery?",
    "How much notice do cake orders need?",
    "What do you bake every morning?",
    "When can I pick up a cake?",
    "Are you open on Christmas Day?",
]


async def ask(url: str, origin: str, key: str, question: str) -> dict:
    ws, _ = await open_session(url, origin, key)
    try:
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.text", "text": question}))
        turn = await until_done(ws, 120)
    finally:
        await ws.close()
    timings = turn.done.get("timings", {})
    return {
        "server": timings.get("eos_to_first_audio_ms"),
        "client": (turn.first_audio_at - sent) * 1000 if turn.first_audio_at else None,
        "instant": timings.get("instant") == 1.0,
    }


def prepare(env: dict, tenant_id: int, site_id: int) -> dict:
    settings = Settings(
        database_url=env["DATABASE_URL"],
        redis_url=env["REDIS_URL"],
        redis_prefix=env["SITESPEAK_REDIS_PREFIX"],
    )
    queues.bind(settings)
    client = redis.Redis.from_url(env["REDIS_URL"])
    jobs = JobQueue(job_registry(), EventPublisher(client, env["SITESPEAK_REDIS_PREFIX"]))
    with database.connection_context():
        job, _ = jobs.submit(tenant_id, "voice.prepare_answers", {"site_id": site_id})

    def finished() -> Job | None:
        with database.connection_context():
            row = Job.get_by_id(job.id)
        return row if row.status in ("succeeded", "dead") else None

    done = wait_for(finished, 900, 0.5, "the preparation")
    if done.status != "succeeded":
        raise SystemExit(f"preparation failed: {done.last_error}")
    return done.result


def summary(name: str, samples: list[dict], field: str) -> str:
    values = [s[field] for s in samples if s[field] is not None]
    if not values:
        return f"  {name:<11} no samples"
    return (
        f"  {name:<11} median {statistics.median(values):7.1f} ms  "
        f"p95 {percentile(values, 95):7.1f} ms  n={len(values)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with bench_services() as (found, tmp), serve_site() as site_url:
        env = env_for(
            found,
            tmp,
            SITESPEAK_VOICE_TURNS_PER_MINUTE="1000",
            SITESPEAK_VOICE_IP_TURNS_PER_MINUTE="100000",
            SITESPEAK_VOICE_SESSIONS_PER_ADDRESS="10000",
            SITESPEAK_VOICE_PRELOAD="true",
        )
        with database.connection_context():
            tenant, _ = create_tenant("Bench")
            site = create_site(tenant.id, "Bakery", [site_url], allow_private=True, privileged=True)
        index_site(env, site.id, site.name, tenant.name, tmp)
        speech = start_speech(env, tmp)
        worker = start_worker(env, tmp, SITESPEAK_WORKER_QUEUES="voice")
        web = start_web(env, tmp, 120)
        try:
            started = time.perf_counter()
            result = prepare(env, tenant.id, site.id)
            print(
                f"prepared {result['phrases']} phrases in {time.perf_counter() - started:.0f} s; "
                f"{load()}"
            )
            worker.stop()  # nothing else synthesizes while the turns are measured
            samples: dict[str, list[dict]] = {"prepared": [], "unprepared": []}
            for number in range(args.rounds):
                # A fresh speech process: only the prepared audio is in its phrase cache.
                speech.stop()
                speech = start_speech(env, tmp)
                asyncio.run(ask(web.url, site_url, site.key, "Hello?"))  # the web reconnects
                pair = [
                    ("prepared", PREPARED[number % len(PREPARED)]),
                    ("unprepared", UNPREPARED[number % len(UNPREPARED)]),
                ]
                for arm, question in pair if number % 2 == 0 else reversed(pair):
                    samples[arm].append(asyncio.run(ask(web.url, site_url, site.key, question)))
            print(f"first audio, {args.rounds} rounds; {load()}")
            for field, title in (
                ("server", "end of speech decision -> first audio (server)"),
                ("client", "sent -> first audio frame (client)"),
            ):
                print(title)
                for arm, found_samples in samples.items():
                    print(summary(arm, found_samples, field))
                medians = {
                    arm: statistics.median(
                        [s[field] for s in found_samples if s[field] is not None] or [float("nan")]
                    )
                    for arm, found_samples in samples.items()
                }
                ratio = medians["prepared"] / medians["unprepared"]
                print(f"  prepared / unprepared median: {ratio:.3f}")
            print(
                "instant flag: "
                + ", ".join(
                    f"{arm} {sum(s['instant'] for s in found_samples)}/{len(found_samples)}"
                    for arm, found_samples in samples.items()
                )
            )
            print("goal: prepared first audio <= 50 ms (server figure)")
        finally:
            for proc in (web, worker, speech):
                proc.stop()


if __name__ == "__main__":
    main()
