"""A site's weekly reports: the stored ones, each as CSV, and who gets them by email."""

from __future__ import annotations

import datetime as dt
from typing import Any

from quart import Blueprint, Response, redirect, url_for
from quart.typing import ResponseReturnValue

from sitespeak import sites
from sitespeak.admin.context import Admin, form_value, page
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.errors import NotFound
from sitespeak.reports import subscriptions
from sitespeak.reports import weekly as reports
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_reports", __name__, url_prefix="/admin")
friendly_errors(bp)


def _reports(tenant_id: int, site_id: int, smtp: bool) -> dict[str, Any]:
    site = sites.get_site(tenant_id, site_id)
    return {
        "site": sites.site_view(site),
        "reports": reports.reports_of(tenant_id, site.id),
        "labels": reports.NUMBERS,
        "subscriber": subscriptions.subscriber(tenant_id, site.id),
        "smtp": smtp,
    }


def _csv(tenant_id: int, site_id: int, week: str) -> tuple[str, str]:
    site = sites.get_site(tenant_id, site_id)
    try:
        stored = reports.report(tenant_id, site.id, dt.date.fromisoformat(week))
    except ValueError:
        stored = None
    if stored is None:
        raise NotFound(f"no report of the week of {week} for {site.name}")
    return reports.file_name(site.name, week), reports.as_csv(site.name, stored)


@bp.get("/sites/<int:site_id>/reports")
@page("read")
async def reports_index(admin: Admin, site_id: int) -> Response:
    rt = runtime()
    data = await rt.db.run(_reports, admin.tenant_id, site_id, bool(rt.settings.smtp_host))
    return await render("reports.html", **data)


@bp.get("/sites/<int:site_id>/reports/<week>.csv")
@page("read")
async def report_csv(admin: Admin, site_id: int, week: str) -> Response:
    name, body = await runtime().db.run(_csv, admin.tenant_id, site_id, week)
    disposition = f'attachment; filename="{name}"'
    return Response(
        body, content_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )


@bp.post("/sites/<int:site_id>/reports/subscription")
@page("write")
async def subscribe(admin: Admin, site_id: int) -> ResponseReturnValue:
    email = await form_value("email")
    rt = runtime()
    site = await rt.db.run(sites.get_site, admin.tenant_id, site_id)
    if email:
        await rt.db.run(subscriptions.subscribe, admin.tenant_id, site.id, email)
    else:
        await rt.db.run(subscriptions.unsubscribe, admin.tenant_id, site.id)
    return redirect(url_for("admin_reports.reports_index", site_id=site.id), 303)
