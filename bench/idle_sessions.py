"""What an idle voice session costs the web process: RSS before and after opening N sessions
(goal, issue 11: a web process with 1,000 idle voice sessions <= 200 MB), and with --trace
where the Python heap grew (tracemalloc snapshots of the real web process, taken through
bench/_heap_probe, compared by allocation site). Native memory (Granian's websocket buffers,
glibc arenas) shows as the gap between the RSS growth and the traced growth.

    /work/tools/py bench/idle_sessions.py [--sessions 1000] [--trace] [--rounds 2]

Each round opens the sessions, measures, and closes them; the second round shows what the
first left behind (memory the allocator keeps) apart from what sessions hold. Then, as the
floor no code of ours can go under, the same number of bare websockets held open by Granian
serving bench/hello_app.py (same Granian, same settings, no app code).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from _paced import load, rss_mb
from _stack import ROOT, bench_services, env_for
from websockets.asyncio.client import connect

from sitespeak.db.connection import database
from sitespeak.sites import create_site
from sitespeak.tenancy.tenants import create_tenant
from tests.support.processes import free_port, start_web
from tests.voice.client import open_session
from tests.voice.testsite import serve_site

PROBE = ROOT / "bench" / "_heap_probe"


async def open_many(url: str, origin: str, key: str, count: int) -> list:
    sockets = []
    for start in range(0, count, 50):
        opened = await asyncio.gather(
            *(open_session(url, origin, key) for _ in range(min(50, count - start)))
        )
        sockets += [ws for ws, _ in opened]
    return sockets


def snapshot(folder: Path, label: str, pid: int) -> tracemalloc.Snapshot | None:
    """Ask the heap probe of the web process's Granian worker (the process serving the
    sessions) for a snapshot; None when it wrote none in time."""
    import psutil

    worker = max(psutil.Process(pid).children(recursive=True), key=lambda p: p.pid).pid
    (folder / "take").write_text(label)
    path = folder / f"{label}-{worker}.snap"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists():  # renamed into place once written
            return tracemalloc.Snapshot.load(str(path))
        time.sleep(0.3)
    return None


def heap_report(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, sessions: int) -> None:
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before, after = before.filter_traces(keep), after.filter_traces(keep)
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"  traced Python heap grew {grown / 2**20:.1f} MB: {grown / sessions / 1024:.1f} KB")
    print("  per session; the largest allocation sites (KB per session, blocks per session):")
    for stat in after.compare_to(before, "traceback")[:15]:
        frames = [f for f in stat.traceback if "site-packages" not in f.filename][-2:]
        where = " <- ".join(
            f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames or stat.traceback[-1:])
        )
        last = stat.traceback[-1]
        print(
            f"    {stat.size_diff / sessions / 1024:7.2f} KB {stat.count_diff / sessions:6.1f}"
            f"  {Path(last.filename).name}:{last.lineno}  [{where}]"
        )


async def measure(args, url: str, origin: str, key: str, pid: int, heap: Path | None) -> None:
    for round_ in range(1, args.rounds + 1):
        before = rss_mb(pid)
        first = snapshot(heap, f"before{round_}", pid) if heap else None
        sockets = await open_many(url, origin, key, args.sessions)
        await asyncio.sleep(2)
        after = rss_mb(pid)
        print(
            f"round {round_}: {len(sockets)} idle sessions; web RSS {before:.0f} MB -> "
            f"{after:.0f} MB: {(after - before) * 1024 / len(sockets):.1f} KB per session "
            f"(goal: <= 200 MB with 1,000) -- {load()}"
        )
        second = snapshot(heap, f"open{round_}", pid) if heap else None
        if first is not None and second is not None:
            heap_report(first, second, len(sockets))
        await asyncio.gather(*(ws.close() for ws in sockets))
        await asyncio.sleep(3)
        print(f"  closed: web RSS {rss_mb(pid):.0f} MB")


async def bare_websockets(count: int) -> None:
    """Granian's own cost of an open websocket: the hello app accepts and holds it."""
    port = free_port()
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--workers", "1", "hello_app:app"],
        cwd=ROOT / "bench",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                await (await connect(f"ws://127.0.0.1:{port}/")).close()
                break
            except OSError:
                await asyncio.sleep(0.2)
        await asyncio.sleep(1)
        before = rss_mb(proc.pid)
        sockets = []
        for start in range(0, count, 50):
            batch = min(50, count - start)
            sockets += await asyncio.gather(
                *(connect(f"ws://127.0.0.1:{port}/") for _ in range(batch))
            )
        await asyncio.sleep(2)
        after = rss_mb(proc.pid)
        print(
            f"bare Granian (bench/hello_app.py): {len(sockets)} open websockets; RSS "
            f"{before:.0f} MB -> {after:.0f} MB: {(after - before) * 1024 / count:.1f} KB "
            f"per websocket -- {load()}"
        )
        await asyncio.gather(*(ws.close() for ws in sockets))
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--trace", action="store_true", help="tracemalloc the web process")
    args = parser.parse_args()
    with bench_services() as (found, tmp), serve_site() as site_url:
        extra = {
            "SITESPEAK_VOICE_SESSIONS_PER_ADDRESS": "10000",  # every visitor is 127.0.0.1
            "SITESPEAK_DB_POOL_SIZE": "20",
        }
        heap = tmp / "heap" if args.trace else None
        if heap is not None:
            heap.mkdir()
            path = os.environ.get("PYTHONPATH", "")
            extra |= {"SITESPEAK_BENCH_HEAP": str(heap), "PYTHONPATH": f"{PROBE}:{path}"}
        env = env_for(found, tmp, **extra)
        with database.connection_context():
            tenant, _ = create_tenant("Bench")
            site = create_site(tenant.id, "Bakery", [site_url], allow_private=True, privileged=True)
        web = start_web(env, tmp, 600 if heap else 120)  # tracemalloc slows imports
        try:
            time.sleep(1)
            pid = web.popen.pid
            print(f"web pid {pid}; tracemalloc {'on' if heap else 'off'}; {load()}")
            asyncio.run(measure(args, web.url, site_url, site.key, pid, heap))
        finally:
            web.stop()
    asyncio.run(bare_websockets(args.sessions))


if __name__ == "__main__":
    main()
