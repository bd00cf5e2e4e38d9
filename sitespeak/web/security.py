"""Security headers for every response and a tighter body limit for the admin UI.

HTML pages (admin, API docs) get a strict CSP: only our own scripts and styles, no framing, forms
post only to us. Other API answers get ``default-src 'none'`` so a response opened as a page can
run nothing. Paths outside /admin and /api (the widget, its try-it page) set their own policy.
"""

from __future__ import annotations

from quart import Quart, Response, request

from sitespeak.errors import PayloadTooLarge
from sitespeak.settings import Settings
from sitespeak.web.uploads import is_upload

HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
ADMIN_PREFIX = "/admin"


def install(app: Quart, settings: Settings) -> None:
    @app.before_request
    async def _limit_admin_bodies() -> None:
        if not request.path.startswith(ADMIN_PREFIX) or request.method in ("GET", "HEAD"):
            return
        if is_upload(request.method, request.path):
            return  # streamed to disk under the upload limit (web/uploads.py)
        length = request.content_length
        if length is None:  # chunked: read it (the app-wide limit caps what is buffered)
            length = len(await request.get_data(cache=True))
        if length > settings.admin_max_body:
            raise PayloadTooLarge(
                f"an admin form may send at most {settings.admin_max_body} bytes (got {length})"
            )

    @app.after_request
    async def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        ours = request.path.startswith((ADMIN_PREFIX, "/api/"))
        if ours and "Content-Security-Policy" not in headers:
            html = response.mimetype == "text/html"
            headers["Content-Security-Policy"] = HTML_CSP if html else API_CSP
            headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith(ADMIN_PREFIX) and response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response
