"""The dashboard (web and worker health, queues, failures) and the jobs page with retry."""

from __future__ import annotations

import asyncio
import time

from quart import Blueprint, Response, redirect, url_for

from sitespeak.admin.context import Admin, page
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.jobs import ledger, queues
from sitespeak.web.health import check_dependencies
from sitespeak.web.runtime import WebRuntime, runtime
from sitespeak.worker.main import heartbeat_key

bp = Blueprint("admin_dash", __name__, url_prefix="/admin")
friendly_errors(bp)


async def _workers(rt: WebRuntime) -> tuple[list[dict], dict[str, int] | None]:
    """Per-queue heartbeat age and depth; None depths when Redis cannot be read."""
    try:
        raw = await rt.redis.hgetall(heartbeat_key(rt.settings.redis_prefix))
        depths = await asyncio.get_running_loop().run_in_executor(None, queues.depths)
    except Exception:  # noqa: BLE001 - the dependency panel already says Redis is down
        return [], None
    now, stale = time.time(), rt.settings.heartbeat_interval * 3
    seen = {k.decode(): now - float(v) for k, v in raw.items()}
    rows = [
        {
            "queue": name,
            "depth": depths.get(name, 0),
            "last_seen_s": round(seen[name], 1) if name in seen else None,
            "alive": name in seen and seen[name] <= stale,
        }
        for name in depths
    ]
    return rows, depths


def _job_rows(tenant_id: int | None, instance_too: bool, limit: int) -> list[dict]:
    return [
        {**ledger.view(job), "tenant_id": job.tenant_id}
        for job in ledger.failures(tenant_id, instance_too=instance_too, limit=limit)
    ]


@bp.get("/")
@page("read")
async def dashboard(admin: Admin) -> Response:
    rt = runtime()
    deps, (workers, _) = await asyncio.gather(check_dependencies(rt), _workers(rt))
    failures = await rt.db.run(_job_rows, admin.tenant_id, admin.superuser, 5)
    counts = await rt.db.run(ledger.counts_by_status) if admin.superuser else None
    extras = await _first_run(rt, admin)
    return await render(
        "dashboard.html",
        deps=deps,
        workers=workers,
        failures=failures,
        counts=counts,
        uptime=round(time.time() - rt.lifecycle.started),
        draining=rt.lifecycle.draining,
        **extras,
    )


async def _first_run(rt: WebRuntime, admin: Admin) -> dict:
    """Whether the tenant has a site yet: the first-run card offers to add one."""
    from sitespeak.db.models import Site

    def count() -> int:
        return Site.select().where(Site.tenant == admin.tenant_id).count()

    sites_url = url_for("admin_sites.sites_index") if admin.can("write") else None
    return {"site_count": await rt.db.run(count) if admin.tenant_id else 0, "sites_url": sites_url}


@bp.get("/jobs")
@page("read")
async def jobs(admin: Admin) -> Response:
    failures = await runtime().db.run(_job_rows, admin.tenant_id, admin.superuser, 200)
    return await render("jobs.html", failures=failures)


@bp.post("/jobs/<job_id>/retry")
@page("write")
async def retry(admin: Admin, job_id: str) -> Response:
    rt = runtime()
    scope = None if admin.superuser else admin.tenant_id
    await rt.db.run(rt.jobs.retry, job_id, scope)
    return redirect(url_for("admin_dash.jobs", retried=job_id))
