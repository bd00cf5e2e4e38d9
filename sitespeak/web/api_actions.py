"""``/api/v1/sites/<id>/actions``: the site's page-action catalog; the owner switches entries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from quart import Blueprint, Response, jsonify
from quart_schema import tag_blueprint, validate_querystring, validate_request

from sitespeak.actions import catalog
from sitespeak.releases import edits
from sitespeak.web.auth import Caller, requires
from sitespeak.web.requests import RequestBody
from sitespeak.web.runtime import runtime

bp = Blueprint("actions", __name__, url_prefix="/api/v1/sites/<site_ref>/actions")
tag_blueprint(bp, ["actions"])


class ActionFilter(BaseModel, extra="forbid"):
    kind: Literal["navigate", "fill", "submit", "click"] | None = None
    enabled: bool | None = None


class ActionChange(RequestBody, extra="forbid"):
    enabled: bool = Field(..., description="Whether the assistant may use this action.")


@bp.get("")
@requires("read")
@validate_querystring(ActionFilter)
async def index(caller: Caller, site_ref: str, query_args: ActionFilter) -> Response:
    """The site's page-action catalog"""
    rows = await runtime().db.run(
        catalog.list_actions, caller.tenant_id, site_ref, query_args.kind, query_args.enabled
    )
    return jsonify({"actions": [catalog.action_view(r) for r in rows]})


@bp.get("/<id:action_id>")
@requires("read")
async def show(caller: Caller, site_ref: str, action_id: int) -> Response:
    """One page action"""
    row = await runtime().db.run(catalog.get_action, caller.tenant_id, site_ref, action_id)
    return jsonify(catalog.action_view(row))


@bp.patch("/<id:action_id>")
@requires("write")
@validate_request(ActionChange)
async def change(caller: Caller, site_ref: str, action_id: int, data: ActionChange) -> Response:
    """Enable or disable a page action"""
    rt = runtime()
    row = await rt.db.run(
        edits.set_action_enabled,
        caller.tenant_id,
        site_ref,
        action_id,
        data.enabled,
        f"API token ({caller.tenant_name})",
        rt.settings,
        rt.publisher.publish,
    )
    return jsonify(catalog.action_view(row))
