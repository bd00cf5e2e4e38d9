"""The dashboard (the owner's numbers first: visitors, questions, answers, speed, content gaps,
crawls; then web and worker health, queues, failures) and the jobs page with retry."""

from __future__ import annotations

import asyncio
import time

from quart import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as WerkzeugResponse  # what redirect() returns

from sitespeak import sites
from sitespeak.admin.context import Admin, page
from sitespeak.admin.rendering import friendly_errors, human_time, job_took, render
from sitespeak.analytics import summary
from sitespeak.errors import InvalidInput
from sitespeak.jobs import ledger
from sitespeak.jobs.worker_status import worker_status
from sitespeak.knowledge import views
from sitespeak.maintenance import upkeep
from sitespeak.settings import QUEUES
from sitespeak.web.health import check_dependencies
from sitespeak.web.runtime import WebRuntime, runtime

bp = Blueprint("admin_dash", __name__, url_prefix="/admin")
friendly_errors(bp)
bp.add_app_template_filter(human_time, "human_time")
bp.add_app_template_filter(job_took, "job_took")


async def _workers(rt: WebRuntime) -> tuple[list[dict], dict[str, int] | None]:
    """Per-queue heartbeat age and depth; None depths when Redis cannot be read."""
    found = await worker_status(rt.redis, rt.settings)
    if found is None:  # the dependency panel already says Redis is down
        return [], None
    known = [q for q in found if q.depth is not None]
    rows = [
        {"queue": q.queue, "depth": q.depth, "last_seen_s": q.last_seen_s, "alive": q.alive}
        for q in known
    ]
    return rows, {q.queue: q.depth or 0 for q in known}


def _job_rows(tenant_id: int | None, instance_too: bool, limit: int) -> list[dict]:
    return [
        {**ledger.view(job), "tenant_id": job.tenant_id}
        for job in ledger.failures(tenant_id, instance_too=instance_too, limit=limit)
    ]


def _owner_numbers(tenant_id: int | None) -> dict:
    """What an owner asks first: how many visitors and questions, how many answered, is it
    fast, what could it not answer, are the crawls healthy. From the rollups, never a scan."""
    if not tenant_id:
        return {"today": None, "week": None, "crawls": []}
    crawls = []
    for site in sites.list_sites(tenant_id):
        runs = views.list_runs(tenant_id, site.id, limit=1)
        crawls.append({"id": site.id, "name": site.name, "last_run": runs[0] if runs else None})
    return {
        "today": summary.tenant_summary(tenant_id, days=1),
        "week": summary.tenant_summary(tenant_id, days=7),
        "crawls": crawls,
    }


@bp.get("/")
@page("read")
async def dashboard(admin: Admin) -> Response:
    rt = runtime()
    deps, (workers, _) = await asyncio.gather(check_dependencies(rt), _workers(rt))
    owner = await rt.db.run(_owner_numbers, admin.tenant_id)
    failures = await rt.db.run(_job_rows, admin.tenant_id, admin.superuser, 5)
    counts = await rt.db.run(ledger.counts_by_status) if admin.superuser else None
    disk = await rt.db.run(upkeep.latest_disk_usage) if admin.superuser else None
    extras = await _first_run(rt, admin)
    return await render(
        "dashboard.html",
        deps=deps,
        workers=workers,
        failures=failures,
        counts=counts,
        disk=disk,
        uptime=round(time.time() - rt.lifecycle.started),
        draining=rt.lifecycle.draining,
        **owner,
        **extras,
    )


async def _first_run(rt: WebRuntime, admin: Admin) -> dict:
    """Whether the tenant has a site yet: the first-run card offers to add one."""
    from sitespeak.db.models import Site

    def count() -> int:
        return Site.select().where(Site.tenant == admin.tenant_id).count()

    sites_url = url_for("admin_sites.sites_index") if admin.can("write") else None
    return {"site_count": await rt.db.run(count) if admin.tenant_id else 0, "sites_url": sites_url}


def _recent_rows(tenant_id: int | None, instance_too: bool, status: str, queue: str) -> list:
    return [
        {**ledger.view(job), "tenant_id": job.tenant_id}
        for job in ledger.recent(
            tenant_id, instance_too=instance_too, status=status, queue=queue, limit=200
        )
    ]


@bp.get("/jobs")
@page("read")
async def jobs(admin: Admin) -> Response:
    """Recent jobs of every state (not only the failed ones), filtered by state and queue."""
    status, queue = request.args.get("status", ""), request.args.get("queue", "")
    if status and status not in ledger.STATUSES:
        raise InvalidInput(f"status: one of {', '.join(ledger.STATUSES)}")
    if queue and queue not in QUEUES:
        raise InvalidInput(f"queue: one of {', '.join(QUEUES)}")
    rows = await runtime().db.run(_recent_rows, admin.tenant_id, admin.superuser, status, queue)
    return await render(
        "jobs.html",
        jobs=rows,
        state=status,  # not `status`: render() takes that as the HTTP status
        queue=queue,
        statuses=ledger.STATUSES,
        queues=QUEUES,
    )


@bp.post("/jobs/<job_id>/retry")
@page("write")
async def retry(admin: Admin, job_id: str) -> WerkzeugResponse:
    rt = runtime()
    scope = None if admin.superuser else admin.tenant_id
    await rt.db.run(rt.jobs.retry, job_id, scope)
    return redirect(url_for("admin_dash.jobs", retried=job_id))
