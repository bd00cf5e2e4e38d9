"""Hosted-site publishing benchmark (issue 15): the time to publish a 1,000-page static site to
live, knowledge included (build + switch, then indexing from the files and the knowledge
release, live and found by words: ``knowledge_s``; then the local embeddings: ``total_s``),
the time of a rollback switch, and req/s of a published page next to /health/live of the same
web process. Goals: ≤ 10 s to live with knowledge, ≤ 100 ms to switch, ≥ 0.5× /health/live.

Each publish round goes to a fresh site (a first publish: every page new, every passage
embedded), interleaved with a baseline round that only copies the same folder (so background
load on the shared box hits both alike; the ratio is printed). Rollbacks alternate between two
kept releases, interleaved with bare link switches (os.replace of a symlink) as their baseline.
The functions are the ones the ``hosting.publish`` / ``hosting.ingest`` / ``knowledge.embed``
jobs run, called here in one process (no queue wait). Prints figures; asserts nothing.

    python bench/publish.py [--pages 1000] [--rounds 3] [--rollbacks 200]

A round embeds every passage with the local model on the CPU: on a box shared by many, that
stage dominates (``--rounds 0`` measures rollbacks only).

Each measurement is a function of a ``Bench`` returning its figures, listed in SECTIONS: a
serving figure (req/s of a hosted page next to /health/live, with wrk) is the last.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hosted_serve
from _stack import bench_services, percentile, settings_for

from sitespeak import sites
from sitespeak.db.connection import database, open_database
from sitespeak.hosting import knowledge, layout, publish, registry
from sitespeak.knowledge.embedders import embedder_for
from sitespeak.knowledge.indexing import embed_site
from sitespeak.releases.candidates import build_candidate
from sitespeak.settings import Settings
from sitespeak.tenancy.tenants import create_tenant
from tests.support.processes import start_web

DOMAIN = "sites.bench"
WORDS = (
    "bread oven flour rye spelt crust crumb yeast dough bake morning shop coffee cake "
    "butter sugar salt water proof knead loaf bun roll tart pie"
).split()


@dataclass
class Bench:
    settings: Settings
    tenant_id: int
    source: Path  # the generated site
    rounds: int
    rollbacks: int


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def write_site(root: Path, pages: int) -> Path:
    """``pages`` pages in folders, each naming the shared stylesheet, script, logo and font."""
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "site.css").write_text(
        "@font-face{font-family:B;src:url(fonts/body.woff2)}body{font-family:B;margin:0}\n"
        + "".join(f".c{i}{{padding:{i % 9}px}}\n" for i in range(200))
    )
    (root / "assets" / "fonts").mkdir()
    (root / "assets" / "fonts" / "body.woff2").write_bytes(os.urandom(20_000))
    (root / "assets" / "site.js").write_text("document.body.dataset.ready='1';\n" * 50)
    (root / "assets" / "logo.png").write_bytes(os.urandom(8_000))
    for i in range(pages):
        text = " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(120))
        links = "".join(f"<a href='/p{(i * 13 + k) % pages}/'>Page {k}</a>" for k in range(1, 6))
        html = (
            f"<!doctype html><html lang='en'><head><title>Page {i}</title>"
            "<link rel=stylesheet href='/assets/site.css'><script src='/assets/site.js' defer>"
            f"</script></head><body><nav>{links}</nav><main><img src='/assets/logo.png' alt=''>"
            f"<h1 id='top'>Page {i}</h1><p>{text}.</p><h2 id='more'>More</h2>"
            f"<p>Section two of page {i}: {text[:200]}.</p></main></body></html>"
        )
        folder = root / ("" if i == 0 else f"p{i}")
        folder.mkdir(exist_ok=True)
        (folder / "index.html").write_text(html)
    return root


def new_site(bench: Bench) -> registry.HostedSite:
    site = sites.create_site(
        bench.tenant_id, f"bench-{uuid.uuid4().hex[:8]}", ["https://bench.example/"]
    )
    return registry.enable(bench.tenant_id, site.id)


def publish_once(bench: Bench) -> dict[str, float]:
    """One first publish of the site, timed by stage."""
    hosted = new_site(bench)
    release = publish.record_release(hosted, bench.source, "folder", "bench")
    started = time.perf_counter()
    result = publish.publish_release(
        bench.settings, bench.tenant_id, hosted.site_id, release.number
    )
    live = time.perf_counter()
    site = sites.get_site(bench.tenant_id, hosted.site_id)
    folder = layout.release_dir(bench.settings.state_dir, hosted.site_id, release.number)
    totals = knowledge.ingest_release(site, folder, registry.primary_url(hosted, bench.settings))
    release = build_candidate(site.id, totals["run_id"], bench.settings, _unheard, source="upload")
    assert release is not None and release.state == "live", release
    indexed = time.perf_counter()  # the knowledge is live: found by its words
    embedded = embed_site(site.id, embedder_for(bench.settings), bench.settings.embed_batch_size)
    done = time.perf_counter()
    return {
        "live_s": live - started,
        "index_s": indexed - live,
        "knowledge_s": indexed - started,
        "embed_s": done - indexed,
        "total_s": done - started,
        "files": result["files"],
        "pages": totals["new"],
        "passages": embedded["embedded"],
    }


def _unheard(*event: object) -> None:
    """No web process listens to the bench's events."""


def copy_once(bench: Bench) -> float:
    """The baseline: copying the same folder, nothing else."""
    target = bench.settings.state_dir / "baseline" / uuid.uuid4().hex
    started = time.perf_counter()
    shutil.copytree(bench.source, target)
    took = time.perf_counter() - started
    shutil.rmtree(target)
    return took


def section_publish(bench: Bench) -> dict[str, object]:
    if not bench.rounds:
        return {}  # --rounds 0: the rollback figures alone
    rounds: list[dict[str, float]] = []
    copies: list[float] = []
    for n in range(bench.rounds):
        copies.append(copy_once(bench))
        rounds.append(publish_once(bench))
        r = rounds[-1]
        print(
            f"  round {n + 1}: files live {r['live_s']:.2f} s, index {r['index_s']:.2f} s "
            f"(knowledge live by words at {r['knowledge_s']:.2f} s), embed "
            f"{r['embed_s']:.2f} s, all vectors in at {r['total_s']:.2f} s ({r['files']} files, "
            f"{r['pages']} pages, {r['passages']} passages); copy {copies[-1]:.3f} s; "
            f"load {loadavg()}"
        )
    figures: dict[str, object] = {}
    for key in ("live_s", "index_s", "knowledge_s", "embed_s", "total_s"):
        values = [r[key] for r in rounds]
        figures[key] = (statistics.median(values), percentile(values, 95))
    figures["copy_s"] = (statistics.median(copies), percentile(copies, 95))
    figures["live_vs_copy"] = statistics.median(
        r["live_s"] / c for r, c in zip(rounds, copies, strict=True)
    )
    return figures


def section_rollback(bench: Bench) -> dict[str, object]:
    hosted = new_site(bench)
    for _ in range(2):
        release = publish.record_release(hosted, bench.source, "folder", "bench")
        publish.publish_release(bench.settings, bench.tenant_id, hosted.site_id, release.number)
    scratch = bench.settings.state_dir / "scratch-link"
    switches, bare = [], []
    for n in range(bench.rollbacks):
        started = time.perf_counter()
        publish.rollback(bench.settings, bench.tenant_id, hosted.site_id, 1 + n % 2)
        switches.append(time.perf_counter() - started)
        started = time.perf_counter()
        layout.switch_link(scratch, Path("releases") / str(1 + n % 2))
        bare.append(time.perf_counter() - started)
    return {
        "rollback_ms": (statistics.median(switches) * 1000, percentile(switches, 95) * 1000),
        "bare_switch_ms": (statistics.median(bare) * 1000, percentile(bare, 95) * 1000),
        "rollback_vs_bare": statistics.median(switches) / statistics.median(bare),
    }


def section_serve(bench: Bench) -> dict[str, object]:
    """req/s of a published page on its host name next to /health/live of the same web
    process (wrk, rounds interleaved; bench/hosted_serve.py). Goal: ≥ 0.5×."""
    if not bench.rounds:
        return {}  # --rounds 0: the rollback figures alone
    if not shutil.which("wrk"):
        print("  skipped: needs wrk (apt-get install wrk)")
        return {}
    hosted = new_site(bench)
    release = publish.record_release(hosted, bench.source, "folder", "bench")
    publish.publish_release(bench.settings, bench.tenant_id, hosted.site_id, release.number)
    s = bench.settings
    env = {
        "DATABASE_URL": s.database_url,
        "REDIS_URL": s.redis_url,
        "SITESPEAK_REDIS_PREFIX": s.redis_prefix,
        "SITESPEAK_STATE_DIR": str(s.state_dir),
        "SITESPEAK_ENV_FILE": "",
        "SITESPEAK_LOG_LEVEL": "warning",
        "SITESPEAK_WEB_WORKERS": "1",
        "SITESPEAK_HOSTED_SITES_DOMAIN": s.hosted_sites_domain,
        "SITESPEAK_PUBLIC_URL": s.public_url,
    }
    web = start_web(env, s.state_dir)
    try:
        host = registry.hostnames(hosted, s)[-1]
        variants = hosted_serve.variants_of(web, host, "/p1/", None)
        runs, lags = hosted_serve.measure(web, variants, bench.rounds, 5, 50)
    finally:
        web.stop()
    hosted_serve.report(runs, lags)
    health = [r["rps"] for r in runs["/health/live"]]
    page = [r["rps"] for r in runs["hosted page"]]
    return {
        "health_req_s": (statistics.median(health), percentile(health, 95)),
        "page_req_s": (statistics.median(page), percentile(page, 95)),
        "page_lag_ms": (
            statistics.median(lags["hosted page"]),
            percentile(lags["hosted page"], 95),
        ),
        "page_vs_health": statistics.median(page) / statistics.median(health),
    }


SECTIONS: list[tuple[str, Callable[[Bench], dict[str, object]]]] = [
    ("publish a site to live, knowledge included", section_publish),
    ("rollback", section_rollback),
    ("serve a published page (wrk -t1 -c50 -d5s, 1 Granian worker)", section_serve),
]


def show(figures: dict[str, object]) -> None:
    for key, value in figures.items():
        if isinstance(value, tuple):
            print(f"  {key:<16} median {value[0]:9.3f}   p95 {value[1]:9.3f}")
        else:
            print(f"  {key:<16} {value:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rollbacks", type=int, default=200)
    args = parser.parse_args()
    with bench_services() as (found, tmp):
        settings = settings_for(
            found,
            state_dir=tmp / "state",
            hosted_sites_domain=DOMAIN,
            public_url="https://voice.bench",
        )
        open_database(found.database_url, 4)
        with database.connection_context():
            tenant, _ = create_tenant("bench")
            source = write_site(tmp / "site", args.pages)
            bench = Bench(settings, tenant.id, source, args.rounds, args.rollbacks)
            started = time.perf_counter()
            embedder_for(settings).embed(["warm up"])  # the worker loads it once, at its start
            print(f"embedder loaded in {time.perf_counter() - started:.2f} s (not counted)")
            print(f"cpus {os.cpu_count()}, load before {loadavg()}")
            for title, section in SECTIONS:
                print(f"{title}:")
                show(section(bench))
            print(f"load after {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
