"""``/api/v1/sites/<id>/actions``: the site's page-action catalog; the owner switches entries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from quart import Blueprint, Response, jsonify, request

from sitespeak.actions import catalog
from sitespeak.errors import InvalidInput
from sitespeak.web.auth import api_caller
from sitespeak.web.requests import RequestBody, body_as
from sitespeak.web.runtime import runtime

bp = Blueprint("actions", __name__, url_prefix="/api/v1/sites/<site_ref>/actions")


class ActionFilter(BaseModel, extra="forbid"):
    kind: Literal["navigate", "fill", "submit", "click"] | None = None
    enabled: bool | None = None


class ActionChange(RequestBody, extra="forbid"):
    enabled: bool = Field(..., description="Whether the assistant may use this action.")


def _filter() -> ActionFilter:
    try:
        return ActionFilter.model_validate(dict(request.args))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(
            f"query parameter {'.'.join(map(str, err['loc']))}: {err['msg']}"
        ) from None


def _action_id(raw: str) -> int:
    if not raw.isdigit():
        raise InvalidInput(f"an action id is a number (got {raw!r})")
    return int(raw)


@bp.get("")
async def index(site_ref: str) -> Response:
    caller = await api_caller("read")
    wanted = _filter()
    rows = await runtime().db.run(
        catalog.list_actions, caller.tenant_id, site_ref, wanted.kind, wanted.enabled
    )
    return jsonify({"actions": [catalog.action_view(r) for r in rows]})


@bp.get("/<action_id>")
async def show(site_ref: str, action_id: str) -> Response:
    caller = await api_caller("read")
    row = await runtime().db.run(
        catalog.get_action, caller.tenant_id, site_ref, _action_id(action_id)
    )
    return jsonify(catalog.action_view(row))


@bp.patch("/<action_id>")
async def change(site_ref: str, action_id: str) -> Response:
    caller = await api_caller("write")
    body = await body_as(ActionChange)
    row = await runtime().db.run(
        catalog.set_enabled, caller.tenant_id, site_ref, _action_id(action_id), body.enabled
    )
    return jsonify(catalog.action_view(row))
