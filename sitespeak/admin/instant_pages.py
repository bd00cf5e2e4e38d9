"""A site's instant answers: the prepared set (each question, what the voice says, whether it
is valid at the site's current knowledge) and how often visitors got one."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response

from sitespeak import sites
from sitespeak.admin.context import Admin, page
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.instant import prepared_set
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_instant", __name__, url_prefix="/admin")
friendly_errors(bp)
RATE_DAYS = 30


def _instant(tenant_id: int, site_id: int) -> dict[str, Any]:
    site = sites.get_site(tenant_id, site_id)
    answers = prepared_set.site_set(tenant_id, site.id)
    return {
        "site": sites.site_view(site),
        "answers": answers,
        # Prepared at an older version, still matched while its passages are unchanged.
        "current": prepared_set.current_ids(site.id, site.knowledge_version, answers),
        "rate": prepared_set.hit_rate(tenant_id, site.id, RATE_DAYS),
    }


@bp.get("/sites/<int:site_id>/instant")
@page("read")
async def instant_index(admin: Admin, site_id: int) -> Response:
    data = await runtime().db.run(_instant, admin.tenant_id, site_id)
    return await render("instant.html", **data)
