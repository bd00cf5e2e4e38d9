"""The OpenAPI 3.1 document of ``/api/v1``, generated from the routes and their pydantic models.

Every route under /api/ appears, found through ``app.url_map`` so new routes are never missed.
A view describes itself with ``@api_doc(...)`` (placed under the route decorator); routes of the
core skeleton are described in ``CORE`` below; a route described nowhere still appears, marked
undocumented, with its path parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from quart import Blueprint, Quart, Response, current_app, jsonify, render_template

from sitespeak import __version__

bp = Blueprint("openapi", __name__)
_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_TYPES = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
    "path": {"type": "string"},
}


@dataclass(frozen=True)
class Operation:
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    scope: str | None = "read"  # None: public, no token needed
    status: int = 200
    content_type: str = "application/json"
    tags: tuple[str, ...] = field(default_factory=tuple)
    streaming: bool = False  # long-lived responses (SSE): contract tests skip them
    errors: dict[int, str] = field(default_factory=dict)  # answers of this operation only
    path_types: dict[str, dict] = field(default_factory=dict)  # a path parameter's real type


# The views api_doc described, with their Operation.
_DOCUMENTED: dict[Callable[..., Any], Operation] = {}


def api_doc(summary: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach an Operation to a view: ``@bp.get(...)`` then ``@api_doc("...", body=Model)``."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        _DOCUMENTED[view] = Operation(summary, **options)
        return view

    return mark


class JobView(BaseModel):
    id: str
    queue: str
    name: str
    args: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    heartbeat_at: str | None = None


def _core() -> dict[str, Operation]:
    from sitespeak.web.api_jobs import JobRequest

    return {
        "jobs.submit": Operation(
            "Submit a job to a queue",
            body=JobRequest,
            response=JobView,
            scope="write",
            status=201,
            tags=("jobs",),
        ),
        "jobs.show": Operation("Read a job's ledger row", response=JobView, tags=("jobs",)),
        "events.stream": Operation(
            "The tenant's events as Server-Sent Events",
            content_type="text/event-stream",
            tags=("events",),
            streaming=True,
        ),
        "openapi.document": Operation("This document", scope=None, tags=("meta",)),
        "openapi.docs": Operation(
            "Human-readable API documentation", scope=None, content_type="text/html", tags=("meta",)
        ),
    }


TAKEN_NAME = {409: "The tenant already has a site of that name"}
# The route takes any text so that a bad id gets a precise 400; what it means is a number.
ACTION_ID = {"action_id": {"type": "integer", "minimum": 1}}


def _knowledge() -> dict[str, Operation]:
    """The sites and conversations APIs (issues 3 and 4), described from their own models."""
    try:
        from sitespeak.web.api_sites import SearchRequest, SiteChange, SiteCreate
    except ImportError:
        return {}
    ops = {
        "sites.create": Operation(
            "Create a site", body=SiteCreate, scope="write", status=201, errors=TAKEN_NAME
        ),
        "sites.index": Operation("List the tenant's sites"),
        "sites.show": Operation("Read a site (by id or name)"),
        "sites.change": Operation(
            "Change a site", body=SiteChange, scope="write", errors=TAKEN_NAME
        ),
        "sites.remove": Operation("Delete a site and its knowledge", scope="write", status=204),
        "sites.start_crawl": Operation(
            "Start a crawl now (the open one if running)",
            response=JobView,
            scope="write",
            status=202,
        ),
        "sites.crawls": Operation("Crawl runs of a site"),
        "sites.crawl": Operation("One crawl run with per-page outcomes"),
        "sites.pages": Operation("Pages of a site with their outcome"),
        "sites.search": Operation(
            "Search a site's knowledge (passages with scores)", body=SearchRequest
        ),
        "conversations.index": Operation("Conversations (voice sessions) of a site"),
        "conversations.show": Operation("One conversation: turns, citations, latency"),
    }
    ops.update(_actions())
    return {
        name: Operation(
            op.summary,
            body=op.body,
            response=op.response,
            query=op.query,
            scope=op.scope,
            status=op.status,
            tags=(name.split(".")[0],),
            errors=op.errors,
            path_types=op.path_types,
        )
        for name, op in ops.items()
    }


def _actions() -> dict[str, Operation]:
    try:
        from sitespeak.web.api_actions import ActionChange, ActionFilter
    except ImportError:
        return {}
    return {
        "actions.index": Operation("The site's page-action catalog", query=ActionFilter),
        "actions.show": Operation("One page action", path_types=ACTION_ID),
        "actions.change": Operation(
            "Enable or disable a page action",
            body=ActionChange,
            scope="write",
            path_types=ACTION_ID,
        ),
    }


def operation_for(app: Quart, endpoint: str) -> Operation | None:
    view = app.view_functions.get(endpoint)
    documented = _DOCUMENTED.get(view) if view else None
    return documented or _core().get(endpoint) or _knowledge().get(endpoint)


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Problem": _PROBLEM}

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        self.components.update(schema.pop("$defs", {}))
        self.components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}


_PROBLEM = {
    "type": "object",
    "required": ["status", "title", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
}


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _parameters(rule: str, op: Operation | None, schemas: _Schemas) -> list[dict]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": (op.path_types.get(name) if op else None)
            or _TYPES.get(conv or "", {"type": "string"}),
        }
        for conv, name in _PARAM.findall(rule)
    ]
    if op and op.query:
        for name, prop in op.query.model_json_schema().get("properties", {}).items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "schema": prop,
                    "required": name in op.query.model_json_schema().get("required", []),
                }
            )
    return params


def _operation(endpoint: str, rule: str, op: Operation | None, schemas: _Schemas) -> dict:
    doc: dict[str, Any] = {
        "operationId": endpoint.replace(".", "_"),
        "summary": op.summary if op else f"{endpoint} (undocumented)",
        "tags": list(op.tags) if op and op.tags else [endpoint.split(".")[0]],
    }
    params = _parameters(rule, op, schemas)
    if params:
        doc["parameters"] = params
    if op and op.body:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(op.body)}},
        }
    ok: dict[str, Any] = {"description": "Success"}
    if op and op.response:
        ok["content"] = {op.content_type: {"schema": schemas.ref(op.response)}}
    elif op:
        ok["content"] = {op.content_type: {}}
    doc["responses"] = {
        str(op.status if op else 200): ok,
        "400": _problem("Invalid input"),
        "404": _problem("Not found in your tenant"),
        "422": _problem("Invalid request body"),
        "429": _problem("Rate limited"),
        "503": _problem("PostgreSQL or Redis is down: retry after Retry-After seconds"),
        **{str(status): _problem(why) for status, why in (op.errors if op else {}).items()},
    }
    if op is None or op.scope is not None:
        doc["responses"].update(
            {
                "401": _problem("Missing or invalid API token"),
                "403": _problem("The token lacks the scope"),
            }
        )
        doc["security"] = [{"bearer": []}]
    else:
        doc["security"] = []
    if op and op.streaming:
        doc["x-streaming"] = True
    return doc


def build_document(app: Quart, server_url: str = "", job_names: list[str] | None = None) -> dict:
    """``job_names``: the kinds a tenant may submit (the job registry's public ones)."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/") or rule.websocket:
            continue
        op = operation_for(app, rule.endpoint)
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                rule.endpoint, rule.rule, op, schemas
            )
    request = schemas.components.get("JobRequest", {}).get("properties", {})
    if job_names and "name" in request:
        request["name"] = {**request["name"], "enum": sorted(job_names)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SiteSpeak API",
            "version": __version__,
            "description": "Every call needs `Authorization: Bearer sst_...` (an API token "
            "from the admin UI) unless marked public. Errors are application/problem+json.",
        },
        "servers": [{"url": server_url}] if server_url else [],
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token"}
            },
        },
    }


@bp.get("/api/v1/openapi.json")
async def document() -> Response:
    from sitespeak.web.runtime import runtime

    # Routes are fixed once the app is built: generate the document once per process.
    cached = current_app.extensions.get("openapi_document")
    if cached is None:
        rt = runtime()
        cached = current_app.extensions["openapi_document"] = build_document(
            current_app, rt.settings.base_url, rt.jobs.registry.public_names()
        )
    return jsonify(cached)


@bp.get("/api/v1/docs")
async def docs() -> Response:
    from sitespeak.web.runtime import runtime

    doc = build_document(current_app, job_names=runtime().jobs.registry.public_names())
    body = await render_template("api_docs.html", doc=doc, admin=None, csrf="")
    return Response(body, content_type="text/html; charset=utf-8")
