"""The small error hierarchy. The web app turns these into problem+json in one place."""

from __future__ import annotations

from typing import Any


class SiteSpeakError(Exception):
    """Base of every error we raise on purpose; ``status`` is its HTTP meaning."""

    status = 500
    code = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class SettingsError(SiteSpeakError):
    code = "settings"


class InvalidInput(SiteSpeakError):
    status = 400
    code = "invalid"


class Unauthorized(SiteSpeakError):
    status = 401
    code = "unauthorized"


class Forbidden(SiteSpeakError):
    status = 403
    code = "forbidden"


class NotFound(SiteSpeakError):
    status = 404
    code = "not_found"


class Conflict(SiteSpeakError):
    status = 409
    code = "conflict"


class JobInterrupted(SiteSpeakError):
    """A job stopped between two units of work because its worker is stopping: not a failure.
    ``progress`` is where it resumes; the job is queued again without losing an attempt."""

    status = 503
    code = "interrupted"

    def __init__(self, progress: dict[str, Any]) -> None:
        super().__init__("the worker is stopping; the job resumes on another run")
        self.progress = progress


class PayloadTooLarge(SiteSpeakError):
    status = 413
    code = "too_large"


class Unavailable(SiteSpeakError):
    """503: something we depend on cannot serve now; ``retry_after`` (seconds) says when to
    come back, and every 503 carries it as Retry-After."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: float = 5.0, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class DependencyOutage(Unavailable):
    """PostgreSQL or Redis cannot be reached (down, restarting, or its pool exhausted)."""

    code = "dependency_unavailable"


def outage_from(exc: BaseException) -> DependencyOutage | None:
    """The outage ``exc`` means, or None when it is not a dependency failure: the one place a
    database or Redis connection error becomes a 503 (not a 500 the client must not retry)."""
    import peewee
    import psycopg2
    import redis
    from playhouse.pool import MaxConnectionsExceeded

    if isinstance(exc, DependencyOutage):
        return exc
    if isinstance(
        exc,
        peewee.OperationalError
        | peewee.InterfaceError
        | psycopg2.OperationalError
        | psycopg2.InterfaceError
        | MaxConnectionsExceeded,
    ):
        return DependencyOutage("the database is unavailable; retry shortly", retry_after=5.0)
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return DependencyOutage("Redis is unavailable; retry shortly", retry_after=5.0)
    return None


class TooManyRequests(SiteSpeakError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float = 1.0, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class SpeechUnavailable(Unavailable):
    """The speech engine (the speech process) is down or too busy to take this work now."""

    code = "speech_unavailable"


class Unprocessable(InvalidInput):
    """Well-formed, but it asks for what cannot be done here (a job kind a tenant may not
    submit): 422, like a body that fails its schema."""

    status = 422
