"""Analytics ingest: events/s end to end (beacon -> web -> analytics queue -> worker -> stored)
and the web path's latency per batch of 50 events, on a real web process and worker.

    python bench/analytics.py [--batches 200] [--baseline main]

Goals (issue 14): 5,000 events/s, p95 <= 5 ms per batch on the web path. Prints the load average;
the ratio is against /health/live in the same run, one request before each batch (the web
path's floor on this box at that moment). The end-to-end rate includes those requests. With
--baseline REF the code at git REF serves too (its own web process; the same database, site and
worker), its batches interleaved with ours one by one, in alternating order, and the ratios
new/baseline; the end-to-end rate is then both arms' together."""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from dataclasses import dataclass, field

import httpx
from _stack import baseline_env, bench_services, env_for, percentile

from tests.support.processes import Proc, start_web, start_worker, wait_for

BATCH, ORIGIN = 50, "https://bench.example"


@dataclass
class Arm:
    name: str
    web: Proc
    client: httpx.Client
    floor: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)


def body(key: str) -> str:
    events = [
        {"id": uuid.uuid4().hex, "session": "bench-session", "type": "panel.opened"}
        for _ in range(BATCH)
    ]
    return json.dumps({"key": key, "events": events})


def one_batch(arm: Arm, key: str) -> None:
    # The floor interleaved with the batches: both see the same moment's load.
    t = time.perf_counter()
    arm.client.get("/health/live")
    arm.floor.append((time.perf_counter() - t) * 1000)
    content = body(key)
    t = time.perf_counter()
    r = arm.client.post("/widget-events", content=content, headers={"Origin": ORIGIN})
    arm.lat.append((time.perf_counter() - t) * 1000)
    assert r.status_code == 200, r.text


def report(arms: list[Arm]) -> None:
    for arm in arms:
        p95, floor95 = percentile(arm.lat, 95), percentile(arm.floor, 95)
        print(
            f"{arm.name + ': ' if arm.name else ''}web path per batch of {BATCH}: "
            f"p50 {percentile(arm.lat, 50):.2f} ms, p95 {p95:.2f} ms; "
            f"/health/live p95 {floor95:.2f} ms; ratio {p95 / floor95:.1f}x"
        )
    if len(arms) == 2:
        new, old = arms
        ratios = [percentile(new.lat, p) / percentile(old.lat, p) for p in (50, 95)]
        print(f"{new.name} / {old.name}: p50 {ratios[0]:.3f}  p95 {ratios[1]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=200, help="batches per arm")
    parser.add_argument("--baseline", default="", help="git ref to run against, interleaved")
    args = parser.parse_args()
    with bench_services() as (found, tmp):
        from sitespeak.db.connection import database, open_database
        from sitespeak.sites import create_site
        from sitespeak.tenancy import tenants

        open_database(found.database_url, 2)
        with database.connection_context():
            tenant, _ = tenants.create_tenant("Bench")
            site = create_site(tenant.id, "bench", [ORIGIN + "/"], allowed_origins=[ORIGIN])
        env = env_for(found, tmp, SITESPEAK_VOICE_PRELOAD="false")
        envs = [("new" if args.baseline else "", env)]
        if args.baseline:
            envs.append((f"baseline {args.baseline}", baseline_env(env, args.baseline, tmp)))
        arms: list[Arm] = []
        worker = start_worker(env, tmp, SITESPEAK_WORKER_QUEUES="analytics")
        try:
            for name, arm_env in envs:
                web = start_web(arm_env, tmp, 60)
                arms.append(Arm(name, web, httpx.Client(base_url=web.url, timeout=10)))
            for arm in arms:
                for _ in range(20):  # connections and first-request costs out of the samples
                    arm.client.get("/health/live")
            print(f"before: load average {os.getloadavg()}")
            start = time.perf_counter()
            for i in range(args.batches):
                for arm in arms if i % 2 == 0 else arms[::-1]:
                    one_batch(arm, site.key)
            total = BATCH * args.batches * len(arms)

            def stored() -> bool:
                with database.connection_context():
                    n = database.execute_sql(
                        "SELECT count(*) FROM analytics_events WHERE site_id = %s", (site.id,)
                    ).fetchone()[0]
                return n >= total

            wait_for(stored, timeout=120, every=0.05, what="all events stored")
            elapsed = time.perf_counter() - start
            print(
                f"events end to end: {total / elapsed:,.0f} events/s ({total} in {elapsed:.2f} s)"
            )
            report(arms)
            print(f"load average: {os.getloadavg()}")
        finally:
            for arm in arms:
                arm.client.close()
                arm.web.stop()
            worker.stop()


if __name__ == "__main__":
    main()
