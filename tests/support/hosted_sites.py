"""Hosted-site releases written straight into the layout (sitespeak/hosting/layout.py), as the
publishing worker leaves them: files (with ``.gz`` siblings), manifest.json listing each file
and each folder's URL ("/about/" answered by about/index.html), the ``current`` link and host
links. For tests of the serving side that need exact control of a release's files."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sitespeak.hosting import layout

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


def content_type(key: str) -> str:
    found = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{found}; charset=utf-8" if found.startswith("text/") else found


def write_release(
    state_dir: Path,
    site_id: int,
    number: int,
    files: Mapping[str, bytes | str],
    *,
    immutable: Iterable[str] = (),
    not_found: str | None = None,
    gzip_text: bool = True,
    created_at: datetime | None = None,
) -> Path:
    """Write release ``number`` of ``site_id`` (keys are manifest keys: "/index.html") and
    return its directory; it is not live until ``make_live``."""
    release = layout.release_dir(state_dir, site_id, number)
    fixed = set(immutable)
    entries = {}
    for key, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        path = layout.file_path(release, key.lstrip("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        kind = content_type(key)
        zipped = gzip_text and kind.startswith(COMPRESSIBLE)
        if zipped:
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, mtime=0))
        entries[key] = layout.ServedFile(
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=kind,
            gzip=zipped,
            immutable=key in fixed,
        )
        if key.endswith("/index.html"):  # the folder's own URL, as the builder lists it
            folder = key.removesuffix("index.html")
            entries[folder] = replace(entries[key], file=key.lstrip("/"))
    when = (created_at or datetime.now(UTC)).isoformat(timespec="seconds")
    manifest = layout.Manifest(number, when, entries, not_found)
    (release / layout.MANIFEST).write_text(manifest.to_json())
    return release


def make_live(state_dir: Path, site_id: int, number: int) -> None:
    """Switch the site's ``current`` link to release ``number``, as a publish or rollback does."""
    site = layout.site_dir(state_dir, site_id)
    layout.switch_link(site / layout.CURRENT, Path("releases") / str(number))


def link_host(state_dir: Path, hostname: str, site_id: int) -> None:
    """Make ``hostname`` answer with ``site_id``'s live release."""
    layout.switch_link(layout.host_link(state_dir, hostname), Path("../sites") / str(site_id))


def unlink_host(state_dir: Path, hostname: str) -> None:
    layout.host_link(state_dir, hostname).unlink(missing_ok=True)
