"""Receiving a site upload: the body goes to a file in the state dir as it arrives, capped at
SITESPEAK_HOSTED_MAX_UPLOAD_BYTES, never whole in memory. Either a raw body (the API:
``Content-Type: application/zip``, ``application/gzip``, ...) or a multipart form's ``file``
field (the admin UI's form; ``curl -F file=@site.zip``)."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from pathlib import Path
from typing import IO, Any

from quart import Quart, Request, request

from sitespeak.errors import InvalidInput, PayloadTooLarge
from sitespeak.hosting.publish import uploads_dir
from sitespeak.settings import Settings
from sitespeak.web.requests import JsonRequest

UPLOAD_PATH = re.compile(r"^/(api/v1/sites/[^/]+/uploads|admin/sites/\d+/hosting/upload)/?$")
FIELD = "file"
BATCH = 1024 * 1024  # bytes gathered before one write in a thread


def is_upload(method: str, path: str) -> bool:
    return method == "POST" and bool(UPLOAD_PATH.match(path))


class CappedFile(io.FileIO):
    """A new file that refuses to grow past ``cap`` bytes."""

    def __init__(self, path: Path, cap: int) -> None:
        super().__init__(path, "xb+")
        self.path, self.cap, self.written = path, cap, 0

    def write(self, data: Any) -> int:
        self.written += len(data)
        if self.written > self.cap:
            raise PayloadTooLarge(f"an upload may be at most {self.cap} bytes")
        return super().write(data)


def request_class(settings: Settings) -> type[Request]:
    """Quart's request, except on the upload routes: a body cap of the upload limit (not the
    app's 1 MB) and form files written to the state dir (not memory or /tmp)."""
    cap = settings.hosted_max_upload_bytes
    folder = uploads_dir(settings)

    class UploadRequest(JsonRequest):
        def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any):
            if is_upload(method, path):
                kwargs["max_content_length"] = cap
            super().__init__(method, scheme, path, *args, **kwargs)

        def make_form_data_parser(self) -> Any:
            parser = super().make_form_data_parser()
            if is_upload(self.method, self.path):
                made: list[Path] = []
                self.upload_paths = made  # what to delete if the form is refused half-way

                def new_file(*_args: Any) -> IO[bytes]:
                    folder.mkdir(parents=True, exist_ok=True)
                    made.append(folder / f"{uuid.uuid4().hex}.upload")
                    return CappedFile(made[-1], cap)

                parser.stream_factory = new_file
            return parser

    return UploadRequest


async def receive_upload(settings: Settings) -> tuple[Path, str]:
    """The uploaded file (in the state dir's uploads folder) and the name the client gave it."""
    if request.mimetype == "multipart/form-data":
        return await _form_file()
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    out = CappedFile(folder / f"{uuid.uuid4().hex}.upload", settings.hosted_max_upload_bytes)
    try:
        with out:
            pending = bytearray()
            async for chunk in request.body:
                pending += chunk
                if len(pending) >= BATCH:
                    await asyncio.to_thread(out.write, bytes(pending))
                    pending.clear()
            if pending:
                await asyncio.to_thread(out.write, bytes(pending))
        if out.written == 0:
            raise InvalidInput("the request body is empty: send the archive as the body")
    except BaseException:
        out.path.unlink(missing_ok=True)
        raise
    name = request.headers.get("X-Filename") or f"upload{_suffix(request.mimetype)}"
    return out.path, name


async def _form_file() -> tuple[Path, str]:
    files = await request.files
    chosen = files.get(FIELD)
    if chosen is None or not chosen.filename:
        raise InvalidInput("choose a zip or tar archive to upload (the form field 'file')")
    chosen.stream.close()
    path = Path(chosen.stream.name)
    getattr(request, "upload_paths", []).remove(path)  # the caller's now; the rest go at the end
    return path, chosen.filename


def _suffix(mimetype: str) -> str:
    return {"application/zip": ".zip", "application/x-tar": ".tar"}.get(mimetype, "")


def install(app: Quart, settings: Settings) -> None:
    app.request_class = request_class(settings)

    @app.teardown_request
    async def _drop_unclaimed(_exc: BaseException | None) -> None:
        # A form refused after it was read (a viewer's, a bad CSRF token) or half-way (too
        # large) leaves files nobody will build.
        for path in getattr(request, "upload_paths", ()):
            path.unlink(missing_ok=True)
