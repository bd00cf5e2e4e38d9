"""The OpenAPI 3.1 document of ``/api/v1``, by quart-schema from the routes' own decorators.

A view states what it takes and gives with quart-schema (``@validate_request``,
``@validate_querystring``, ``@validate_response``), who may call it with ``auth.requires(scope)``
(or ``security_scheme([])`` when public), its summary in its docstring and its tag on its
blueprint (``tag_blueprint``). ``ApiDocument`` adds what quart-schema has no decorator for: the
problem+json answers every route may give, ``@answers(status, why)`` for a route's own, the
lower bound of numeric path parameters, and keeps the document to /api/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from quart import Blueprint, Quart, Response, current_app, render_template
from quart_schema import OpenAPIProvider, QuartSchema, security_scheme, tag_blueprint
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, IntegerConverter, Rule

from sitespeak import __version__
from sitespeak.settings import Settings

bp = Blueprint("openapi", __name__)
tag_blueprint(bp, ["meta"])
V = TypeVar("V", bound=Callable[..., Any])
ANSWERS = "_sitespeak_answers"
_PARAMETER = re.compile(r"<(?:[^:<>]*:)?([^<>]+)>")
PROBLEM = {
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
# What any API route may answer; 401 and 403 only where a token is needed.
EVERY_ROUTE = {
    400: "Invalid input (a query parameter names the field)",
    404: "Not found in your tenant",
    422: "Invalid request body (the detail names the field)",
    429: "Rate limited: retry after Retry-After seconds",
    503: "PostgreSQL or Redis is down: retry after Retry-After seconds",
}
WITH_TOKEN = {401: "Missing or invalid API token", 403: "The token lacks the scope"}


class JobView(BaseModel):
    id: str
    queue: str
    name: str
    args: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    result: Any = None  # whatever the job returned (JSON)
    error: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    heartbeat_at: str | None = None


def answers(status: int, why: str) -> Callable[[V], V]:
    """A status the route gives that no model describes: its own problem (409, 413) or a
    success without a response model (201, 202, 204)."""

    def mark(view: V) -> V:
        setattr(view, ANSWERS, {**getattr(view, ANSWERS, {}), status: why})
        return view

    return mark


class PositiveId(BaseConverter):
    """``<id:name>``: a number from 1. Anything else is a 400 saying so, not a 404."""

    def to_python(self, value: str) -> int:
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise BadRequest(f"{value!r} is not an id: an id is a number from 1")
        return int(value)


def _problem(why: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": why, "content": {"application/problem+json": {"schema": schema}}}


class ApiDocument(OpenAPIProvider):
    """quart-schema's document, kept to /api/ and completed with what the routes answer."""

    _document: dict[str, Any] | None = None

    def schema(self) -> dict[str, Any]:
        # The routes are fixed once the app is built: generate the document once per process.
        if self._document is None:
            document = super().schema()
            document["components"]["schemas"]["Problem"] = PROBLEM
            self._document = document
        return self._document

    def generate_rules(self) -> Iterable[Rule]:
        return (r for r in super().generate_rules() if r.rule.startswith("/api/"))

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, PositiveId):
            parameter["schema"] = {"type": "integer", "minimum": 1}
        elif isinstance(converter, IntegerConverter) and not converter.signed:
            parameter["schema"]["minimum"] = converter.min or 0
        return parameter

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        # quart-schema 0.25's path pattern, <(?:[^:]*:)?([^>]+)>, runs from the first "<" to the
        # last converter's ":", so /sites/<site_ref>/actions/<id:action_id> came out as
        # /sites/{action_id}: the parameters are named here one at a time.
        operations = next(iter(paths.values()))
        paths = {_PARAMETER.sub(r"{\1}", rule.rule): operations}
        view = self._app.view_functions[rule.endpoint]
        for operation in operations.values():
            # quart-schema's ids (method_function) repeat across blueprints: four get_index.
            operation["operationId"] = rule.endpoint.replace(".", "_")
            errors = {**EVERY_ROUTE, **(WITH_TOKEN if operation.get("security") else {})}
            own = getattr(view, ANSWERS, {})
            responses = {
                **operation["responses"],
                **{s: {"description": why} for s, why in own.items() if s < 400},
                **{s: _problem(why) for s, why in {**errors, **own}.items() if s >= 400},
            }
            if not any(200 <= s < 300 for s in responses):
                responses[200] = {"description": "Success (JSON)"}
            operation["responses"] = {str(s): responses[s] for s in sorted(responses)}
        return paths, components


def install(app: Quart, settings: Settings) -> None:
    app.url_map.converters["id"] = PositiveId
    QuartSchema(
        app,
        openapi_path="/api/v1/openapi.json",
        # Its pages load their scripts from a CDN; the product runs offline: ours is below.
        swagger_ui_path=None,
        redoc_ui_path=None,
        scalar_ui_path=None,
        info={
            "title": "SiteSpeak API",
            "version": __version__,
            "description": "Every call needs `Authorization: Bearer sst_...` (an API token "
            "from the admin UI) unless marked public. Errors are application/problem+json.",
        },
        servers=[{"url": settings.base_url}] if settings.base_url else None,
        security_schemes={
            # quart-schema 0.25 takes no description for a scheme: bearerFormat says it.
            "bearer": {"type": "http", "scheme": "bearer", "bearer_format": "API token (sst_...)"}
        },
        openapi_provider_class=ApiDocument,
    )


def document() -> dict[str, Any]:
    return current_app.extensions["QUART_SCHEMA"].openapi_provider.schema()


@bp.get("/api/v1/docs")
@security_scheme([])
@answers(200, "An HTML page")
async def docs() -> Response:
    """Human-readable API documentation"""
    body = await render_template("api_docs.html", doc=document(), admin=None, csrf="")
    return Response(body, content_type="text/html; charset=utf-8")
