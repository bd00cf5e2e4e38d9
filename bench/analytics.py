"""Analytics ingest: events/s end to end (beacon -> web -> analytics queue -> worker -> stored)
and the web path's latency per batch of 50 events, on a real web process and worker.

Goals (issue 14): 5,000 events/s, p95 <= 5 ms per batch on the web path. Prints the load average;
the ratio is against /health/live in the same run (the web path's floor on this box)."""

from __future__ import annotations

import json
import os
import time
import uuid

import httpx
from _stack import bench_services, env_for, percentile

from tests.support.processes import start_web, start_worker, wait_for

BATCH, BATCHES, ORIGIN = 50, 200, "https://bench.example"


def main() -> None:
    with bench_services() as (found, tmp):
        from sitespeak.db.connection import database, open_database
        from sitespeak.sites import create_site
        from sitespeak.tenancy import tenants

        open_database(found.database_url, 2)
        with database.connection_context():
            tenant, _ = tenants.create_tenant("Bench")
            site = create_site(tenant.id, "bench", [ORIGIN + "/"], allowed_origins=[ORIGIN])
        env = env_for(found, tmp, SITESPEAK_VOICE_PRELOAD="false")
        web = start_web(env, tmp, 60)
        worker = start_worker(env, tmp, SITESPEAK_WORKER_QUEUES="analytics")
        try:
            with httpx.Client(base_url=web.url, timeout=10) as client:
                floor = []
                for _ in range(200):
                    t = time.perf_counter()
                    client.get("/health/live")
                    floor.append((time.perf_counter() - t) * 1000)
                lat, start = [], time.perf_counter()
                for _ in range(BATCHES):
                    body = json.dumps(
                        {
                            "key": site.key,
                            "events": [
                                {
                                    "id": uuid.uuid4().hex,
                                    "session": "bench-session",
                                    "type": "panel.opened",
                                }
                                for _ in range(BATCH)
                            ],
                        }
                    )
                    t = time.perf_counter()
                    r = client.post("/widget-events", content=body, headers={"Origin": ORIGIN})
                    lat.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, r.text
                total = BATCH * BATCHES

                def stored() -> bool:
                    with database.connection_context():
                        n = database.execute_sql(
                            "SELECT count(*) FROM analytics_events WHERE site_id = %s", (site.id,)
                        ).fetchone()[0]
                    return n >= total

                wait_for(stored, timeout=120, every=0.05, what="all events stored")
                elapsed = time.perf_counter() - start
            p95, floor95 = percentile(lat, 95), percentile(floor, 95)
            print(
                f"events end to end: {total / elapsed:,.0f} events/s ({total} in {elapsed:.2f} s)"
            )
            print(
                f"web path per batch of {BATCH}: p50 {percentile(lat, 50):.2f} ms, "
                f"p95 {p95:.2f} ms; /health/live p95 {floor95:.2f} ms; ratio {p95 / floor95:.1f}x"
            )
            print(f"load average: {os.getloadavg()}")
        finally:
            web.stop()
            worker.stop()


if __name__ == "__main__":
    main()
