"""Hosted-site serving benchmark (its figures are also a section of bench/publish.py, on a page
the builder published): req/s of a hosted page on its host name next to /health/live
of the same web process, measured by wrk in the same run, rounds interleaved (so background
load hits both alike). Goal: hosted page ≥ 0.5× /health/live.

Variants: the page as is (Granian sends the file: pathsend), the page to a client taking gzip
(the .gz copy), a revalidation answered 304 (no body), and a 4 MB file. While each runs, the
event loop's lag (what /health/live reports, sampled every 100 ms) shows whether serving files
holds up the loop that voice sessions run on. Prints each round, the medians, wrk's latency
percentiles, the lag's median and p95, and the load average before and after.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from _stack import bench_services, env_for, percentile

from tests.support.hosted_sites import link_host, make_live, write_release
from tests.support.processes import Proc, start_web

DOMAIN = "sites.bench"
HOST = f"shop.{DOMAIN}"
SITE = 1


def page(n: int = 60) -> str:
    """A typical page: ~12 KB of HTML."""
    items = "".join(
        f"<li><a href='/p{i}/'>Product {i}</a> — fresh every morning</li>" for i in range(n)
    )
    return (
        "<!doctype html><html><head><title>Shop</title>"
        "<link rel=stylesheet href='/assets/site.3f2a1c9e.css'></head>"
        f"<body><h1>Shop</h1><ul>{items}</ul></body></html>"
    )


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    found = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            found[f"p{pct}_ms"] = value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return found


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def write_site(state: Path) -> str:
    write_release(
        state,
        SITE,
        1,
        {
            "/index.html": page(),
            "/assets/site.3f2a1c9e.css": "body{margin:0}\n" * 100,
            "/media/tour.bin": bytes(range(256)) * (4 * 4096),  # 4 MB
        },
        immutable=["/assets/site.3f2a1c9e.css"],
    )
    make_live(state, SITE, 1)
    link_host(state, HOST, SITE)
    return HOST


class LagProbe:
    """Samples the loop lag /health/live reports while a load runs."""

    def __init__(self, url: str) -> None:
        self.url, self.samples = url + "/health/live", []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                try:
                    self.samples.append(client.get(self.url).json()["loop_lag_ms"])
                except (httpx.HTTPError, ValueError, KeyError):
                    pass
                time.sleep(0.1)

    def __enter__(self) -> LagProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def etag_of(web: Proc, host: str, path: str) -> str:
    found = httpx.get(web.url + path, headers={"Host": host, "Accept-Encoding": "identity"})
    found.raise_for_status()
    return found.headers["etag"]


Runs = dict[str, list[dict[str, float]]]
Lags = dict[str, list[float]]


def variants_of(web: Proc, host: str, path: str, big: str | None) -> dict:
    """/health/live and the hosted page as is, gzipped and revalidated (and a big file)."""
    etag = etag_of(web, host, path)
    found = {
        "/health/live": (web.url + "/health/live", {}),
        "hosted page": (web.url + path, {"Host": host}),
        "hosted page, gzip": (web.url + path, {"Host": host, "Accept-Encoding": "gzip"}),
        "hosted page, 304": (web.url + path, {"Host": host, "If-None-Match": etag}),
    }
    if big:
        found["hosted 4 MB file"] = (web.url + big, {"Host": host})
    return found


def measure(
    web: Proc, variants: dict, rounds: int, seconds: int, connections: int
) -> tuple[Runs, Lags]:
    """wrk on each variant in turn, ``rounds`` times (interleaved), sampling the loop lag."""
    runs: Runs = {name: [] for name in variants}
    lags: Lags = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (url, headers) in variants.items():
            with LagProbe(web.url) as probe:
                runs[name].append(wrk(url, seconds, connections, headers))
            lags[name] += probe.samples
    return runs, lags


def report(runs: Runs, lags: Lags) -> None:
    base = statistics.median(r["rps"] for r in runs["/health/live"])
    for name, rounds in runs.items():
        rps = [r["rps"] for r in rounds]
        median = statistics.median(rps)
        p50 = statistics.median(r.get("p50_ms", float("nan")) for r in rounds)
        p99 = statistics.median(r.get("p99_ms", float("nan")) for r in rounds)
        print(
            f"  {name:18s} median {median:8,.0f} req/s  ×{median / base:.2f} of /health/live  "
            f"latency p50 {p50:.2f} ms, p99 {p99:.2f} ms  loop lag median "
            f"{statistics.median(lags[name] or [float('nan')]):.1f} ms, p95 "
            f"{percentile(lags[name], 95):.1f} ms  (rounds: {', '.join(f'{v:,.0f}' for v in rps)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/hosted_serve.py needs wrk (apt-get install wrk)")
    print(f"loadavg before: {loadavg()}")
    with bench_services() as (found, state):
        write_site(state)
        env = env_for(found, state, SITESPEAK_WEB_WORKERS="1", SITESPEAK_HOSTED_SITES_DOMAIN=DOMAIN)
        web = start_web(env, state)
        try:
            variants = variants_of(web, HOST, "/", "/media/tour.bin")
            runs, lags = measure(web, variants, opts.rounds, opts.seconds, opts.connections)
        finally:
            web.stop()
    report(runs, lags)
    print(
        f"goal: hosted page ≥ 0.5× /health/live; wrk -t1 -c{opts.connections} "
        f"-d{opts.seconds}s, 1 Granian worker, {opts.rounds} interleaved rounds"
    )
    print(f"loadavg after: {loadavg()}")


if __name__ == "__main__":
    main()
