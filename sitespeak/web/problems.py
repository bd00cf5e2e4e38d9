"""The one place errors become responses: application/problem+json (RFC 9457)."""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from quart import Quart, Response
from quart_schema import RequestSchemaValidationError
from quart_schema.validation import QuerystringValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from sitespeak.errors import SiteSpeakError, outage_from

log = logging.getLogger(__name__)


CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, title: str, detail: str, code: str, **extra: Any) -> bytes:
    """The body, by the standard library's JSON (not the app's provider): the same bytes with
    or without a Quart app around it."""
    body = {
        "type": f"about:blank#{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return json.dumps(body).encode()


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> Response:
    body = problem_body(status, title, detail, code, **extra)
    return Response(body, status=status, content_type=CONTENT_TYPE)


def ours(exc: SiteSpeakError) -> tuple[int, bytes, dict[str, str]]:
    """One of our errors as (status, body, extra headers): the same for Quart's handlers and
    the ASGI fast path (sitespeak.web.fastpath)."""
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:  # 429s and 503s say when to come back (RFC 9110)
        headers["Retry-After"] = str(max(1, round(retry_after)))
    return exc.status, problem_body(exc.status, type(exc).__name__, exc.message, exc.code), headers


def unexpected(exc: Exception) -> tuple[int, bytes, dict[str, str]]:
    """Any other exception: an outage of a dependency is a 503 saying when to retry; the rest
    is logged and a 500 that gives nothing away."""
    outage = outage_from(exc)
    if outage is not None:
        log.warning("%s: %s: %s", outage.message, type(exc).__name__, exc)
        return ours(outage)
    log.exception("unhandled error")
    detail = "an unexpected error happened; it was logged"
    return 500, problem_body(500, "Internal Server Error", detail, "internal"), {}


def _response(parts: tuple[int, bytes, dict[str, str]]) -> Response:
    status, body, headers = parts
    return Response(body, status=status, content_type=CONTENT_TYPE, headers=headers)


def with_allow(response: Response, exc: HTTPException) -> Response:
    """A 405 names the methods the resource takes (RFC 9110 requires Allow)."""
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


def invalid(exc: ValidationError, status: int = 422, where: str = "") -> Response:
    """A pydantic refusal, every field named: ``start_urls.0: Input should be ...``."""
    errors = [{"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in exc.errors()]
    detail = "; ".join(f"{where}{e['loc'] or 'body'}: {e['msg']}" for e in errors)
    return problem(status, "Invalid request", detail, "invalid", errors=errors)


def install(app: Quart) -> None:
    @app.errorhandler(SiteSpeakError)
    async def _ours(exc: SiteSpeakError) -> Response:
        return _response(ours(exc))

    @app.errorhandler(ValidationError)
    async def _invalid(exc: ValidationError) -> Response:
        return invalid(exc)

    @app.errorhandler(RequestSchemaValidationError)
    async def _schema(exc: RequestSchemaValidationError) -> Response:
        """quart-schema refused a body (422) or a query string (400), as ours would."""
        query = isinstance(exc, QuerystringValidationError)
        error = exc.validation_error
        if isinstance(error, ValidationError):
            return invalid(error, 400 if query else 422, "query parameter " if query else "")
        return problem(400 if query else 422, "Invalid request", str(error), "invalid")

    @app.errorhandler(HTTPException)
    async def _http(exc: HTTPException) -> Response:
        response = problem(
            exc.code or 500,
            exc.name,
            exc.description or exc.name,
            exc.name.lower().replace(" ", "_"),
        )
        return with_allow(response, exc)

    @app.errorhandler(Exception)
    async def _unexpected(exc: Exception) -> Response:
        return _response(unexpected(exc))
