"""A site's knowledge releases (the assistant's, at ``/admin/sites/{id}/knowledge-releases``, as in
the API): the history (who, when, what changed, how big), a held candidate's diff with the
reasons it waits, and Publish, Discard and Rollback buttons (jobs on the critical queue; the
page reloads itself until they are done). The hosted site's releases are under Hosting.

They were first at ``.../releases``: those paths answer with a permanent redirect (308 keeps a
form's POST a POST), for bookmarks and pages open in a tab when the paths moved."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, redirect, request, url_for
from quart.typing import ResponseReturnValue

from sitespeak import sites
from sitespeak.admin.context import Admin, form_value, page
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.errors import InvalidInput
from sitespeak.releases import candidates, jobs, pausing, switch
from sitespeak.releases.views import release_view
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_releases", __name__, url_prefix="/admin")
friendly_errors(bp)


def _history(tenant_id: int, site_id: int) -> dict[str, Any]:
    site = sites.get_site(tenant_id, site_id)
    return {
        "site": sites.site_view(site),
        "review_every_release": candidates.reviews_every_release(site),
        "paused": pausing.paused(site),
        "releases": [release_view(r) for r in switch.list_releases(tenant_id, site.id)],
        "pending": [
            {"name": j.name.split(".")[1], "number": j.args.get("number")}
            for j in jobs.open_switches(site.id)
        ],
    }


@bp.get("/sites/<int:site_id>/knowledge-releases")
@page("read")
async def releases_index(admin: Admin, site_id: int) -> Response:
    data = await runtime().db.run(_history, admin.tenant_id, site_id)
    return await render("releases.html", **data)


@bp.post("/sites/<int:site_id>/knowledge-releases/<int:number>/<action>")
@page("write")
async def switch_release(
    admin: Admin, site_id: int, number: int, action: str
) -> ResponseReturnValue:
    if action not in jobs.ACTIONS:
        raise InvalidInput(f"unknown release action {action!r}; one of: publish, rollback, discard")
    rt = runtime()
    await rt.db.run(
        jobs.request_switch, rt.jobs, admin.tenant_id, site_id, number, action, admin.email
    )
    return redirect(url_for("admin_releases.releases_index", site_id=site_id), 303)


@bp.post("/sites/<int:site_id>/knowledge-releases/review")
@page("write")
async def review(admin: Admin, site_id: int) -> ResponseReturnValue:
    on = await form_value("every_release") == "1"
    await runtime().db.run(candidates.set_review_every_release, admin.tenant_id, site_id, on)
    return redirect(url_for("admin_releases.releases_index", site_id=site_id), 303)


@bp.post("/sites/<int:site_id>/knowledge-releases/resume")
@page("write")
async def resume(admin: Admin, site_id: int) -> ResponseReturnValue:
    await runtime().db.run(candidates.resume_publishing, admin.tenant_id, site_id)
    return redirect(url_for("admin_releases.releases_index", site_id=site_id), 303)


@bp.route("/sites/<int:site_id>/releases", methods=["GET", "POST"])
@bp.route("/sites/<int:site_id>/releases/<path:rest>", methods=["GET", "POST"])
async def moved(site_id: int, rest: str = "") -> ResponseReturnValue:
    """The pages' old paths: 308 to the same page (or form) under its new path."""
    path = url_for("admin_releases.releases_index", site_id=site_id) + (f"/{rest}" if rest else "")
    query = request.query_string.decode()
    return redirect(path + (f"?{query}" if query else ""), 308)
