"""``/api/v1/sites/{site}/conversations[/{id}]``: stored voice sessions and their turns."""

from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint, Response, jsonify, request

from sitespeak.sites import get_site
from sitespeak.voice import conversations
from sitespeak.web.auth import api_caller
from sitespeak.web.runtime import runtime

bp = Blueprint("conversations", __name__, url_prefix="/api/v1/sites/<site_ref>/conversations")


class ListQuery(BaseModel, extra="forbid"):
    limit: int = Field(50, ge=1, le=500)


def _list(tenant_id: int, site_ref: str, limit: int) -> dict:
    site = get_site(tenant_id, site_ref)
    return conversations.list_sessions(tenant_id, site.id, limit)


def _show(tenant_id: int, site_ref: str, session_id: str) -> dict:
    site = get_site(tenant_id, site_ref)
    return conversations.get_session(tenant_id, site.id, session_id)


@bp.get("")
async def index(site_ref: str) -> Response:
    caller = await api_caller("read")
    query = ListQuery.model_validate(request.args.to_dict())
    return jsonify(await runtime().db.run(_list, caller.tenant_id, site_ref, query.limit))


@bp.get("/<session_id>")
async def show(site_ref: str, session_id: str) -> Response:
    caller = await api_caller("read")
    return jsonify(await runtime().db.run(_show, caller.tenant_id, site_ref, session_id))
