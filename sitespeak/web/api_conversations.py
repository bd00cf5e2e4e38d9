"""``/api/v1/sites/{site}/conversations[/{id}]``: stored voice sessions and their turns."""

from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint, Response, jsonify
from quart_schema import tag_blueprint, validate_querystring

from sitespeak.sites import get_site
from sitespeak.voice import conversations
from sitespeak.web.auth import Caller, requires
from sitespeak.web.runtime import runtime

bp = Blueprint("conversations", __name__, url_prefix="/api/v1/sites/<site_ref>/conversations")
tag_blueprint(bp, ["conversations"])


class ListQuery(BaseModel, extra="forbid"):
    limit: int = Field(50, ge=1, le=500)


def _list(tenant_id: int, site_ref: str, limit: int) -> dict:
    site = get_site(tenant_id, site_ref)
    return conversations.list_sessions(tenant_id, site.id, limit)


def _show(tenant_id: int, site_ref: str, session_id: str) -> dict:
    site = get_site(tenant_id, site_ref)
    return conversations.get_session(tenant_id, site.id, session_id)


@bp.get("")
@requires("read")
@validate_querystring(ListQuery)
async def index(caller: Caller, site_ref: str, query_args: ListQuery) -> Response:
    """Conversations (voice sessions) of a site"""
    found = await runtime().db.run(_list, caller.tenant_id, site_ref, query_args.limit)
    return jsonify(found)


@bp.get("/<session_id>")
@requires("read")
async def show(caller: Caller, site_ref: str, session_id: str) -> Response:
    """One conversation: turns, citations, latency"""
    return jsonify(await runtime().db.run(_show, caller.tenant_id, site_ref, session_id))
