"""Voice benchmark against real processes (web, worker, and the speech process once it exists),
with the bakery test site indexed. Spoken turns are measured as a browser sends audio: 20 ms
frames paced in real time, trailing silence, no input.commit (the server finds the end of
speech), from the last voiced sample sent to the first answer audio byte received:

- solo: 1 visitor x 10 questions, one after the other;
- together: 10 visitors whose speech ends within the same 20 ms, x 3 rounds;

each with p50/p95/max, the server's stage breakdown (response.done timings), the load average
and the RSS of every process. Then, with --pipecat (after `make bench-install`), the same client
against a like-for-like Pipecat pipeline (bench/_pipecat_pipeline.py) and the ratio
SiteSpeak/Pipecat. Then instant answers: the worker prepares the site's answers, and 10 visitors
ask prepared questions at once, rounds interleaved with 10 asking unprepared ones (issue 14's
goal: first audio <= 50 ms p95). Then text turns, barge-ins and idle sessions as before.

With --baseline REF the same spoken scenarios also run against the code at git REF (its own
speech and web processes, the same database and site), interleaved: solo alternates the two
question by question, together round by round; then the ratio new/baseline per percentile.
The box is shared: only ratios from one run are comparable.

Goals (issue 11): solo p95 <= 300 ms; together p95 <= 800 ms; SiteSpeak/Pipecat <= 0.5; web +
speech + worker <= 1 GB RSS. Earlier goals (issue 4): first answer audio p95 <= 300 ms for
text turns at 100 sessions; 1,000 idle sessions under 300 MB RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import defaultdict
from pathlib import Path

import instant
from _paced import (
    FIRST_AUDIO,
    QUESTIONS,
    STARTED,
    Utterance,
    aligned_starts,
    load,
    row,
    rss_line,
    send_paced,
    utterance,
)
from _pipecat import PipecatServer, pipecat_python, run_pipecat
from _speech_stats import speech_counters, speech_lines, wait_for_prepared_answers
from _stack import ROOT, baseline_env, bench_services, env_for

from sitespeak.db.connection import database
from sitespeak.sites import create_site
from sitespeak.tenancy.tenants import create_tenant
from sitespeak.voice.admission import LEVELS
from tests.support import processes
from tests.support.processes import speech_address, start_web, start_worker
from tests.voice.client import open_session, until_done, until_response_done
from tests.voice.indexing import index_site
from tests.voice.testsite import serve_site


async def spoken_turn(ws, utt: Utterance, start: float, out: dict) -> None:
    reader = asyncio.ensure_future(until_response_done(ws, 180))
    eos_at = await send_paced(ws.send, utt, start)
    turn = await reader
    done = turn.of("response.done")
    timings = done[0].get("timings") or {} if done else {}
    if turn.first_audio_at:
        ms = (turn.first_audio_at - eos_at) * 1000
        out[FIRST_AUDIO].append(ms)
        out[f"  {first_audio_kind(timings)}"].append(ms)
    started = turn.of("response.started")
    if started:
        out[STARTED].append((started[0]["_at"] - eos_at) * 1000)
    if turn.arrivals:
        out[STALLS].append(stalled_ms(turn.arrivals, OUTPUT_RATE))
    for name, value in timings.items():
        if name == "admission_level" and isinstance(value, int | float):
            # cached_first: the first audio is the filler "One moment.", then the answer's
            out["choices"].append(f"admission={LEVELS[int(value)]}")
        elif isinstance(value, int | float):
            out["server " + name].append(value)
        else:
            out["choices"].append(f"{name}={value}")
    out["errors"].extend(e.get("code", "?") for e in turn.of("error"))
    out["eos"].append(eos_at)
    if VERBOSE and turn.first_audio_at and done:
        heard = turn.of("transcript.final")
        kind = first_audio_kind(timings)[len("of which ") :]
        print(
            f"    {(turn.first_audio_at - eos_at) * 1000:6.0f} ms {kind:<28} heard "
            f"{heard[0]['text'] if heard else '?'!r}; first phrase "
            f"{timings.get('first_phrase_audio_ms', 0):.0f} ms of audio; silent "
            f"{stalled_ms(turn.arrivals, OUTPUT_RATE) if turn.arrivals else 0:.0f} ms; answer "
            f"{(done[0].get('text') or '')[:70]!r}"
        )
        print(f"           {stages(timings)}")


OUTPUT_RATE = 22050  # the sessions' output format
STALLS = "silent gaps in the answer audio (per turn)"


def stalled_ms(arrivals: list[tuple[float, int]], rate: int) -> float:
    """How long a client playing the answer audio as it arrives (PCM16 at ``rate``) would
    have run dry after its first frame: a first phrase done before the rest of its sentence."""
    play_end, stalled = arrivals[0][0], 0.0
    for at, size in arrivals:
        stalled += max(at - play_end, 0.0)
        play_end = max(play_end, at) + size / (2 * rate)
    return stalled * 1000


# The stages of a spoken turn that add up to its first audio, in order (ms; early: 1 or 0).
STAGES = (
    ("eos_delay_ms", "eos"),
    ("early_end", "early"),
    ("speculations_discarded", "discarded"),
    ("wait_ms", "draft wait"),
    ("first_phrase_ahead", "ahead (1 used, 0 differed)"),
    ("stt_ms", "stt"),
    ("tts_first_audio_ms", "first phrase wait"),
    ("eos_to_first_audio_ms", "eos->audio"),
)


def stages(timings: dict) -> str:
    """A turn's stage timings on one line, for --verbose."""
    return ", ".join(
        f"{label} {float(timings[key]):.0f}" if key in timings else f"{label} -"
        for key, label in STAGES
    )


# What the first audio was: not comparable (a cached phrase costs no synthesis; one made from
# a partial transcript's answer was synthesized while the visitor spoke).
INSTANT, AHEAD, SYNTHESIZED, FILLER = (
    "of which instant (prepared audio)",
    "of which first phrase made from a partial",
    "of which synthesized first phrase",
    "of which filler first (cached_first)",
)


VERBOSE = False  # --verbose: a line per turn


def first_audio_kind(timings: dict) -> str:
    # Before the "filler" timing, cached_first always played the filler.
    if timings.get("filler", timings.get("admission_level") == LEVELS.index("cached_first")):
        return FILLER
    if timings.get("instant"):
        return INSTANT
    return AHEAD if timings.get("first_phrase_ahead") == 1 else SYNTHESIZED


async def solo(
    arms: dict[str, tuple[str, str, str]], utts: list[Utterance], outs: dict[str, dict]
) -> None:
    """One visitor per arm, question by question, the arms taking turns."""
    sockets = {
        name: (await open_session(url, origin, key, output_format={"sample_rate": OUTPUT_RATE}))[0]
        for name, (url, origin, key) in arms.items()
    }
    try:
        for utt in utts:
            for name, ws in sockets.items():
                await spoken_turn(ws, utt, time.perf_counter() + 0.05, outs[name])
                await asyncio.sleep(0.5)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets.values()))


async def together(
    arms: dict[str, tuple[str, str, str]],
    utts: list[Utterance],
    rounds: int,
    outs: dict[str, dict],
) -> None:
    """len(utts) visitors per arm whose speech ends within 20 ms; the arms take rounds in turn."""
    sockets = {
        name: [
            ws
            for ws, _ in await asyncio.gather(
                *(
                    open_session(url, origin, key, output_format={"sample_rate": OUTPUT_RATE})
                    for _ in utts
                )
            )
        ]
        for name, (url, origin, key) in arms.items()
    }
    try:
        for _ in range(rounds):
            for name, group in sockets.items():
                out = outs[name]
                starts = aligned_starts(utts, time.perf_counter() + 0.2)
                first = len(out["eos"])
                await asyncio.gather(
                    *(
                        spoken_turn(ws, u, t, out)
                        for ws, u, t in zip(group, utts, starts, strict=True)
                    )
                )
                ends = out["eos"][first:]
                out["spread of the speech ends"].append((max(ends) - min(ends)) * 1000)
                await asyncio.sleep(1.0)
    finally:
        await asyncio.gather(*(ws.close() for group in sockets.values() for ws in group))


def report(
    title: str, out: dict, processes_: dict[str, int], speech: list[str] | None = None
) -> None:
    print(f"{title} -- {load()}")
    kinds = (f"  {INSTANT}", f"  {AHEAD}", f"  {SYNTHESIZED}", f"  {FILLER}")
    for name in (FIRST_AUDIO, *kinds, STARTED, STALLS):
        values = out.pop(name, [])
        if values:
            print(row(name, values))
    for name in ("spread of the speech ends",):
        values = out.pop(name, [])
        if values:
            print(row(name, values))
    out.pop("eos", None)
    errors, choices = out.pop("errors", []), out.pop("choices", [])
    for name in sorted(out):
        print(row(name, out[name], "ms" if name.endswith("_ms") or "->" in name else ""))
    if choices:
        print(f"  choices: {dict((c, choices.count(c)) for c in sorted(set(choices)))}")
    if errors:
        print(f"  errors: {dict((e, errors.count(e)) for e in sorted(set(errors)))}")
    for line in speech or []:
        print(line)
    print(rss_line(processes_))


async def text_visitor(url: str, origin: str, key: str, delay: float, out: dict) -> None:
    ws, _ = await open_session(url, origin, key)
    try:
        await asyncio.sleep(delay)
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "input.text", "text": random.choice(QUESTIONS)}))
        turn = await until_response_done(ws, 180)
        if turn.first_audio_at:
            out["sent -> first answer audio"].append((turn.first_audio_at - sent) * 1000)
        deltas = turn.of("response.text.delta")
        if deltas:
            out["sent -> first answer text"].append((deltas[0]["_at"] - sent) * 1000)
        out["errors"].extend(e.get("code", "?") for e in turn.of("error"))
    finally:
        await ws.close()


async def barge_in_visitor(url: str, origin: str, key: str, out: dict) -> None:
    """Cancel an answer after its first audio: time to response.done and audio after cancel."""
    ws, _ = await open_session(url, origin, key)
    try:
        await ws.send(json.dumps({"type": "input.text", "text": "What are your opening hours?"}))
        await until_done(ws, 120, stop_after_audio=2)
        cancelled = time.perf_counter()
        await ws.send(json.dumps({"type": "response.cancel"}))
        late = await until_done(ws, 30)
        out["cancel -> response.done"].append((late.done["_at"] - cancelled) * 1000)
        out["audio frames after cancel"].append(late.audio_frames)
    finally:
        await ws.close()


async def idle_sessions(url: str, origin: str, key: str, count: int, pid: int) -> None:
    from _paced import rss_mb

    before = rss_mb(pid)
    sockets = []
    for start in range(0, count, 50):
        opened = await asyncio.gather(
            *(open_session(url, origin, key) for _ in range(min(50, count - start)))
        )
        sockets += [ws for ws, _ in opened]
    await asyncio.sleep(2)
    after = rss_mb(pid)
    print(
        f"idle sessions: {len(sockets)} open; web RSS {before:.0f} MB -> {after:.0f} MB; "
        f"{(after - before) * 1024 / max(len(sockets), 1):.1f} KB per session "
        f"(goal: web <= 200 MB with 1,000) -- {load()}"
    )
    await asyncio.gather(*(ws.close() for ws in sockets))


async def run_sitespeak(
    args,
    arms: dict[str, tuple[str, str, str]],
    procs: dict[str, int],
    sockets: dict[str, Path],
) -> dict[str, dict]:
    """The spoken scenarios for every arm (name -> web url, origin, site key; its speech
    process's socket in ``sockets``); returns their samples per arm and scenario."""
    utts = [utterance(q) for q in QUESTIONS]  # the test speech, before the clock starts
    for url, origin, key in arms.values():
        ws, _ = await open_session(url, origin, key)  # waits for the models to load
        await ws.send(json.dumps({"type": "input.text", "text": QUESTIONS[0]}))
        await until_done(ws, 180)
        await ws.close()
    print(f"before the spoken turns: {load()}")
    print(rss_line(procs))
    results: dict[str, dict] = {name: {} for name in arms}
    scenarios = (
        ("solo", f"1 visitor x {args.questions} questions"),
        ("together", f"{args.visitors} visitors ending together x {args.rounds} rounds"),
    )
    for scenario, title in scenarios:
        outs: dict[str, dict] = {name: defaultdict(list) for name in arms}
        before = {name: await speech_counters(path) for name, path in sockets.items()}
        if scenario == "solo":
            await solo(arms, [utts[i % len(utts)] for i in range(args.questions)], outs)
        else:
            spoken = [utts[i % len(utts)] for i in range(args.visitors)]
            await together(arms, spoken, args.rounds, outs)
        for name, out in outs.items():
            lines = speech_lines(before[name], await speech_counters(sockets[name]))
            results[name][scenario] = list(out[FIRST_AUDIO])
            report(f"{name}, {title}", out, procs, lines)
    return results


async def run_others(args, url: str, origin: str, key: str, procs: dict[str, int]) -> None:
    if args.text_sessions:
        text: dict = defaultdict(list)
        await asyncio.gather(
            *(
                text_visitor(url, origin, key, random.uniform(0, args.window), text)
                for _ in range(args.text_sessions)
            )
        )
        report(
            f"text turns: {args.text_sessions} sessions, one question each over {args.window:g} s",
            text,
            procs,
        )
    if args.barge_ins:
        barge: dict = defaultdict(list)
        await asyncio.gather(
            *(barge_in_visitor(url, origin, key, barge) for _ in range(args.barge_ins))
        )
        print(f"barge-in: {args.barge_ins} sessions cancel an answer after 2 audio frames")
        print(row("cancel -> response.done", barge["cancel -> response.done"]))
        frames = barge["audio frames after cancel"]
        print(
            f"  audio frames after cancel (40 ms each, the paced lead): max {max(frames)}, "
            f"mean {sum(frames) / len(frames):.1f}"
        )
    if args.idle:
        await idle_sessions(url, origin, key, args.idle, procs["web"])


def ratios(ours: dict, theirs: dict, title: str = "SiteSpeak / Pipecat", goal: str = "") -> None:
    from _stack import percentile

    print(f"{title}, last voiced sample -> first answer audio -- {load()}")
    for name in ("solo", "together"):
        a, b = ours.get(name) or [], theirs.get(name) or []
        if not a or not b:
            print(f"  {name}: no samples on one side")
            continue
        p50 = percentile(a, 50) / percentile(b, 50)
        p95 = percentile(a, 95) / percentile(b, 95)
        print(f"  {name:<9} p50 {p50:.2f}x  p95 {p95:.2f}x  {goal}")


def start_speech(env: dict, tmp: Path):
    """The speech process, once main has it (PROCESS_TYPE=speech); None before."""
    starter = getattr(processes, "start_speech", None)
    return starter(env, tmp) if starter else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=10, help="solo: questions in a row")
    parser.add_argument("--visitors", type=int, default=10, help="together: visitors")
    parser.add_argument("--rounds", type=int, default=3, help="together: rounds")
    parser.add_argument(
        "--pipecat",
        choices=["auto", "yes", "no"],
        default="auto",
        help="the like-for-like Pipecat run (auto: when .venv-bench exists)",
    )
    parser.add_argument("--text-sessions", type=int, default=100)
    parser.add_argument(
        "--window", type=float, default=20.0, help="seconds over which the text sessions ask"
    )
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--barge-ins", type=int, default=10)
    parser.add_argument("--instant-visitors", type=int, default=10, help="instant answers at once")
    parser.add_argument("--instant-rounds", type=int, default=4, help="instant answers: rounds")
    parser.add_argument("--partials-ms", default="800", help="SITESPEAK_VOICE_PARTIAL_INTERVAL_MS")
    parser.add_argument("--threads", default="2", help="SITESPEAK_VOICE_INFERENCE_THREADS")
    parser.add_argument("--stt-threads", default="2", help="SITESPEAK_VOICE_STT_THREADS")
    parser.add_argument(
        "--baseline", default="", help="git ref to run A/B against, interleaved (e.g. main)"
    )
    parser.add_argument(
        "--instant",
        choices=["on", "off"],
        default="on",
        help="off: no instant answers and no phrase cache, so every turn synthesizes its "
        "first phrase (the bench's questions are ones a site would prepare)",
    )
    parser.add_argument("--verbose", action="store_true", help="a line per spoken turn")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    python = pipecat_python(ROOT)
    if args.pipecat == "yes" and python is None:
        raise SystemExit("--pipecat yes: run `make bench-install` first (.venv-bench)")
    with bench_services() as (found, tmp), serve_site() as site_url:
        env = env_for(
            found,
            tmp,
            SITESPEAK_VOICE_TURNS_PER_MINUTE="1000",
            SITESPEAK_VOICE_IP_TURNS_PER_MINUTE="100000",
            SITESPEAK_VOICE_SESSIONS_PER_ADDRESS="10000",  # every visitor here is 127.0.0.1
            SITESPEAK_VOICE_PARTIAL_INTERVAL_MS=args.partials_ms,
            SITESPEAK_VOICE_INFERENCE_THREADS=args.threads,
            SITESPEAK_VOICE_STT_THREADS=args.stt_threads,
            SITESPEAK_DB_POOL_SIZE="20",
            **(
                {"SITESPEAK_INSTANT_ANSWERS": "false", "SITESPEAK_VOICE_TTS_CACHE_MB": "0"}
                if args.instant == "off"
                else {}
            ),
        )
        with database.connection_context():
            tenant, _ = create_tenant("Bench")
            site = create_site(tenant.id, "Bakery", [site_url], allow_private=True, privileged=True)
        index_site(env, site.id, site.name, tenant.name, tmp)
        speech_proc = start_speech(env, tmp)
        web = start_web(env, tmp, 120)
        worker = start_worker(env, tmp)
        procs = {"web": web.popen.pid, "worker": worker.popen.pid}
        if speech_proc is not None:
            procs["speech"] = speech_proc.popen.pid
        arms = {"SiteSpeak": (web.url, site_url, site.key)}
        sockets = {"SiteSpeak": speech_address(env)}
        others = []
        try:
            time.sleep(1)
            if args.instant == "on":
                print(wait_for_prepared_answers())
            if args.baseline:
                # Started after the preparation: its speech process restores the prepared
                # audio from the state dir as ours has it, or only ours would answer instantly.
                old = baseline_env(env, args.baseline, tmp)
                others = [start_speech(old, tmp), start_web(old, tmp, 120)]
                arms[f"baseline {args.baseline}"] = (others[1].url, site_url, site.key)
                sockets[f"baseline {args.baseline}"] = speech_address(old)
            print(
                f"processes {procs}; knobs: partials every {args.partials_ms} ms, "
                f"{args.threads} inference threads x {args.stt_threads} per Whisper call, "
                f"instant answers and phrase cache {args.instant}; {load()}"
            )
            samples = asyncio.run(run_sitespeak(args, arms, procs, sockets))
            ours = samples["SiteSpeak"]
            if args.baseline:
                ratios(ours, samples[f"baseline {args.baseline}"], "new / baseline")
            if args.pipecat != "no" and python is not None:
                with PipecatServer(python, tmp) as pipecat:
                    theirs = asyncio.run(run_pipecat(args, pipecat))
                ratios(ours, theirs, goal="(goal <= 0.5)")
            elif args.pipecat == "auto":
                print("Pipecat: skipped (no .venv-bench; `make bench-install`)")
            if args.instant_visitors:
                result = instant.prepare(env, tenant.id, site.id)
                print(f"instant answers: {result['phrases']} phrases prepared; {load()}")
                instant.together(
                    web.url, site_url, site.key, args.instant_visitors, args.instant_rounds
                )
            asyncio.run(run_others(args, web.url, site_url, site.key, procs))
        finally:
            for proc in others:
                proc.stop()
            web.stop()
            worker.stop()
            if speech_proc is not None:
                speech_proc.stop()


if __name__ == "__main__":
    main()
