"""Instant answers: first audio of a prepared question against an unprepared one, through a real
web process, speech process and worker (issue 14; goal: first audio <= 50 ms for a prepared
question). The bakery test site is crawled and indexed, the worker prepares its answers, then
each round restarts the speech process (its phrase cache keeps only what was prepared, reloaded
from the state dir) and asks one prepared and one unprepared question, in alternating order,
each in a session of its own. Prints medians, p95 and the load average; nothing is asserted.

    python bench/instant.py [--rounds 10] [--visitors 10 --together-rounds 6] [--baseline main]

Two figures per question: the server's `eos_to_first_audio_ms` (from the end-of-speech
decision; for a typed question, its arrival) and the client's send -> first audio frame. Then
``--visitors`` visitors ask at once, prepared and unprepared rounds in turn, with where the
prepared turns' time went (the server's stages). With --baseline REF the code at git REF runs
too (its own web and speech process, the same database, site and prepared audio), its turns
interleaved with ours question by question and round by round, and the ratios new/baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from _paced import load
from _stack import baseline_env, bench_services, env_for, percentile

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
# Where a prepared turn's time goes (response.done timings), in the order a turn spends it.
STAGES = (
    "eos_to_started_ms",
    "admission_wait_ms",
    "retrieval_ms",
    "answer_ms",
    "tts_first_audio_ms",
    "eos_to_first_audio_ms",
)
UNPREPARED = [
    "Who founded the bakery?",
    "How much notice do cake orders need?",
    "What do you bake every morning?",
    "When can I pick up a cake?",
    "Are you open on Christmas Day?",
]


@dataclass
class Arm:
    """One version of the code: its web and speech processes."""

    name: str
    env: dict
    web: Any
    speech: Any

    def restart_speech(self, tmp: Path) -> None:
        """A fresh speech process: only the prepared audio is in its phrase cache."""
        self.speech.stop()
        self.speech = start_speech(self.env, tmp)


async def ask(url: str, origin: str, key: str, question: str) -> dict:
    ws, _ = await open_session(url, origin, key)
    try:
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.text", "text": question}))
        turn = await until_done(ws, 120)
    finally:
        await ws.close()
    return sample(turn, sent)


def sample(turn, sent: float) -> dict:
    timings = turn.done.get("timings", {})
    return {
        "server": timings.get("eos_to_first_audio_ms"),
        "client": (turn.first_audio_at - sent) * 1000 if turn.first_audio_at else None,
        "instant": timings.get("instant") == 1.0,
        "answer_prepared": timings.get("answer_prepared") == 1.0,
        "timings": timings,
    }


async def ask_together(url: str, origin: str, key: str, questions: list[str]) -> list[dict]:
    """One session per question, all open first, then every question sent at once."""
    opened = await asyncio.gather(*(open_session(url, origin, key) for _ in questions))
    sockets = [ws for ws, _ in opened]

    async def one(ws, question: str) -> dict:
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.text", "text": question}))
        return sample(await until_done(ws, 180), sent)

    try:
        pairs = zip(sockets, questions, strict=True)
        return list(await asyncio.gather(*(one(ws, q) for ws, q in pairs)))
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


def together(url: str, origin: str, key: str, visitors: int, rounds: int) -> None:
    """bench/voice.py's instant scenario: ``visitors`` typed questions at once per round, the
    prepared and the unprepared arm taking rounds in turn. The baseline is the unprepared turns
    that synthesized (a question asked in an earlier round, or twice in one, is in the phrase
    cache by then). The site's answers must have been prepared (``prepare``)."""
    samples = together_ab({"": url}, origin, key, visitors, rounds)
    print(f"instant answers: {visitors} visitors at once x {rounds} rounds per arm -- {load()}")
    samples["synthesized"] = [s for s in samples["unprepared"] if not s["instant"]]
    print_samples(samples, baseline="synthesized")
    print_stages({"prepared": samples["prepared"]})


def together_ab(
    urls: dict[str, str], origin: str, key: str, visitors: int, rounds: int
) -> dict[str, list[dict]]:
    """Rounds of ``visitors`` questions at once, for each code version (``urls``: name -> web
    URL) prepared and unprepared, the order turned around every round."""
    batches = [
        (f"{name} {kind}".strip(), url, pool)
        for name, url in urls.items()
        for kind, pool in (("prepared", PREPARED), ("unprepared", UNPREPARED))
    ]
    samples: dict[str, list[dict]] = {arm: [] for arm, _, _ in batches}
    for number in range(rounds):
        for arm, url, pool in batches if number % 2 == 0 else reversed(batches):
            questions = [pool[(number + i) % len(pool)] for i in range(visitors)]
            samples[arm] += asyncio.run(ask_together(url, origin, key, questions))
            time.sleep(0.5)
    return samples


def print_stages(samples: dict[str, list[dict]]) -> None:
    for arm, found in samples.items():
        print(f"{arm}, server stages:")
        for stage in STAGES:
            values = [s["timings"][stage] for s in found if stage in s["timings"]]
            if values:
                print(
                    f"  {stage:<22} median {statistics.median(values):7.1f} ms  "
                    f"p95 {percentile(values, 95):7.1f} ms  n={len(values)}"
                )


def print_samples(
    samples: dict[str, list[dict]], baseline: str = "unprepared", ours: str = "prepared"
) -> None:
    print_ratios(samples, [(ours, baseline)])


def print_ratios(samples: dict[str, list[dict]], pairs: list[tuple[str, str]]) -> None:
    """Each arm's figures, then the ratio of each pair's (ours / theirs) per percentile."""
    for field, title in (
        ("server", "end of speech decision -> first audio (server)"),
        ("client", "sent -> first audio frame (client)"),
    ):
        print(title)
        for arm, found_samples in samples.items():
            print(summary(arm, found_samples, field))
        for ours, theirs in pairs:
            a, b = (
                [
                    percentile([s[field] for s in samples[arm] if s[field] is not None], p)
                    for p in (50, 95)
                ]
                for arm in (ours, theirs)
            )
            print(f"  {ours} / {theirs}: p50 {a[0] / b[0]:.3f}  p95 {a[1] / b[1]:.3f}")
    for flag in ("instant", "answer_prepared"):
        print(
            f"{flag} flag: "
            + ", ".join(
                f"{arm} {sum(s[flag] for s in found_samples)}/{len(found_samples)}"
                for arm, found_samples in samples.items()
            )
        )
    print("goal: prepared first audio <= 50 ms p95 (server figure)")


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
        return f"  {name:<20} no samples"
    return (
        f"  {name:<20} median {statistics.median(values):7.1f} ms  "
        f"p95 {percentile(values, 95):7.1f} ms  n={len(values)}"
    )


def solo(arms: list[Arm], site_url: str, key: str, rounds: int, tmp: Path) -> None:
    """One question at a time, each arm's speech process fresh every round."""
    samples: dict[str, list[dict]] = {}
    for number in range(rounds):
        for arm in arms:
            arm.restart_speech(tmp)
            asyncio.run(ask(arm.web.url, site_url, key, "Hello?"))  # the web reconnects
        asks = [
            (arm, kind, pool[number % len(pool)])
            for arm in arms
            for kind, pool in (("prepared", PREPARED), ("unprepared", UNPREPARED))
        ]
        for arm, kind, question in asks if number % 2 == 0 else reversed(asks):
            found = asyncio.run(ask(arm.web.url, site_url, key, question))
            samples.setdefault(f"{arm.name} {kind}".strip(), []).append(found)
    print(f"first audio, one at a time, {rounds} rounds; {load()}")
    report(samples, [arm.name for arm in arms])


def report(samples: dict[str, list[dict]], names: list[str]) -> None:
    ours = f"{names[0]} prepared".strip()
    pairs = [(ours, f"{names[0]} unprepared".strip())]
    if len(names) > 1:
        pairs.append((ours, f"{names[1]} prepared"))
    print_ratios(samples, pairs)
    prepared = [f"{name} prepared".strip() for name in names]
    print_stages({arm: samples[arm] for arm in prepared})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="one at a time: rounds")
    parser.add_argument("--visitors", type=int, default=10, help="at once (0: none)")
    parser.add_argument("--together-rounds", type=int, default=6, help="at once: rounds")
    parser.add_argument("--baseline", default="", help="git ref to run against, interleaved")
    args = parser.parse_args()
    with bench_services() as (found, tmp), serve_site() as site_url:
        env = env_for(
            found,
            tmp,
            SITESPEAK_VOICE_TURNS_PER_MINUTE="1000",
            SITESPEAK_VOICE_IP_TURNS_PER_MINUTE="100000",
            SITESPEAK_VOICE_SESSIONS_PER_ADDRESS="10000",
            SITESPEAK_VOICE_PRELOAD="true",
            SITESPEAK_DB_POOL_SIZE="20",
        )
        with database.connection_context():
            tenant, _ = create_tenant("Bench")
            site = create_site(tenant.id, "Bakery", [site_url], allow_private=True, privileged=True)
        index_site(env, site.id, site.name, tenant.name, tmp)
        arms = [Arm("new" if args.baseline else "", env, None, start_speech(env, tmp))]
        worker = start_worker(env, tmp, SITESPEAK_WORKER_QUEUES="voice")
        try:
            arms[0].web = start_web(env, tmp, 120)
            started = time.perf_counter()
            result = prepare(env, tenant.id, site.id)
            print(
                f"prepared {result['phrases']} phrases in {time.perf_counter() - started:.0f} s; "
                f"{load()}"
            )
            worker.stop()  # nothing else synthesizes while the turns are measured
            if args.baseline:
                # Started after the preparation: its speech process restores the prepared
                # audio from the state dir as ours has it.
                old = baseline_env(env, args.baseline, tmp)
                arms.append(Arm(f"baseline {args.baseline}", old, None, start_speech(old, tmp)))
                arms[1].web = start_web(old, tmp, 120)
            if args.rounds:
                solo(arms, site_url, site.key, args.rounds, tmp)
            if args.visitors:
                urls = {arm.name: arm.web.url for arm in arms}
                samples = together_ab(urls, site_url, site.key, args.visitors, args.together_rounds)
                print(
                    f"\n{args.visitors} visitors at once x {args.together_rounds} rounds per arm; "
                    f"{load()}"
                )
                report(samples, [arm.name for arm in arms])
        finally:
            worker.stop()
            for arm in arms:
                for proc in (arm.web, arm.speech):
                    if proc is not None:
                        proc.stop()


if __name__ == "__main__":
    main()
