"""HTTP benchmark: req/s of /health/live on the real web process next to a bare Granian hello
app, both one worker, measured by wrk in the same run. Goal: ratio ≥ 0.8.

Named http_health.py rather than http.py: a bench/http.py shadows the standard library's http
package for every script in bench/."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time

import httpx
from _stack import ROOT, bench_services, env_for

from tests.support.processes import free_port, start_web


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def start_hello(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "hello_app:app",
        ],
        cwd=ROOT / "bench",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("hello app did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/http_health.py needs wrk (apt-get install wrk)")
    with bench_services() as (found, state):
        web = start_web(env_for(found, state, SITESPEAK_WEB_WORKERS="1"), state)
        hello_port = free_port()
        hello = start_hello(hello_port)
        ours, base = [], []
        try:
            for _ in range(opts.rounds):  # interleaved, so background load hits both alike
                base.append(wrk(f"http://127.0.0.1:{hello_port}/", opts.seconds, opts.connections))
                ours.append(wrk(web.url + "/health/live", opts.seconds, opts.connections))
        finally:
            hello.terminate()
            web.stop()
    best_ours, best_base = max(ours), max(base)
    print(
        f"bare Granian hello app: {best_base:,.0f} req/s (rounds: "
        f"{', '.join(f'{v:,.0f}' for v in base)})"
    )
    print(
        f"sitespeak /health/live: {best_ours:,.0f} req/s (rounds: "
        f"{', '.join(f'{v:,.0f}' for v in ours)})"
    )
    print(
        f"ratio: {best_ours / best_base:.2f} (goal ≥ 0.8); wrk -t1 -c{opts.connections} "
        f"-d{opts.seconds}s, 1 Granian worker each"
    )


if __name__ == "__main__":
    main()
