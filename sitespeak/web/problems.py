"""The one place errors become responses: application/problem+json (RFC 9457)."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from quart import Quart, Response, json
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from sitespeak.errors import SiteSpeakError, outage_from

log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str, code: str, **extra) -> Response:
    body = {
        "type": f"about:blank#{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(json.dumps(body), status=status, content_type="application/problem+json")


def with_allow(response: Response, exc: HTTPException) -> Response:
    """A 405 names the methods the resource takes (RFC 9110 requires Allow)."""
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


def install(app: Quart) -> None:
    @app.errorhandler(SiteSpeakError)
    async def _ours(exc: SiteSpeakError) -> Response:
        response = problem(exc.status, type(exc).__name__, exc.message, exc.code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # 429s and 503s say when to come back (RFC 9110)
            response.headers["Retry-After"] = str(max(1, round(retry_after)))
        return response

    @app.errorhandler(ValidationError)
    async def _invalid(exc: ValidationError) -> Response:
        errors = [
            {"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['loc'] or 'body'}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, "invalid", errors=errors)

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
        outage = outage_from(exc)
        if outage is not None:
            log.warning("%s: %s: %s", outage.message, type(exc).__name__, exc)
            return await _ours(outage)
        log.exception("unhandled error")
        return problem(
            500, "Internal Server Error", "an unexpected error happened; it was logged", "internal"
        )
