"""The small error hierarchy. The web app turns these into problem+json in one place."""

from __future__ import annotations


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


class Unavailable(SiteSpeakError):
    status = 503
    code = "unavailable"


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
