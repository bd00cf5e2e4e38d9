"""Where hosted sites live in the state dir: the contract between the publishing worker, which
writes releases, and every web process, which serves them.

    {state_dir}/hosted/
      sites/{site_id}/releases/{n}/files/...     the release's files (+ ``.gz``/``.br`` siblings)
      sites/{site_id}/releases/{n}/manifest.json  what may be served, see ``Manifest``
      sites/{site_id}/current -> releases/{n}     the live release, switched with os.replace
      hosts/{hostname} -> ../sites/{site_id}      one link per host name the site answers on

A release directory is never changed once ``current`` points at it, and its number is never
reused for other content (web processes cache a manifest by its release path), so a request
that read ``current`` once sees one whole release even while a switch happens. Serving resolves
everything from these links: no database on the request path, and every web process switches
at the same instant.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Host names are RFC 1123, lower case, no port: anything else is never looked up on disk.
from sitespeak.settings import HOSTNAME as _HOSTNAME

MANIFEST = "manifest.json"
FILES = "files"
CURRENT = "current"


@dataclass(frozen=True)
class ServedFile:
    """One file of a release, as the web process serves it."""

    size: int
    sha256: str
    content_type: str
    gzip: bool = False  # a ``.gz`` sibling exists
    br: bool = False  # a ``.br`` sibling exists
    immutable: bool = False  # fingerprinted: cache for a year
    # The file under ``files/`` answering this URL path when it is not the path itself: a
    # folder's URL ("/", "/about/") is answered by its index.html. Read it with ``file_of``.
    file: str = ""


@dataclass(frozen=True)
class Manifest:
    """``files`` maps the URL path ("/", "/about/index.html", "/assets/app.3f2a1c.css") to the
    file under ``files/`` that answers it; a path absent from it is a 404. Keys are decoded
    paths ("/my page.html", not "/my%20page.html"). A page's folder URL ("/about/") is a key
    of its own whose ``file`` names the index.html; a fingerprinted asset is listed under both
    its names, only the fingerprinted one ``immutable``."""

    release: int
    created_at: str  # ISO 8601 UTC, the Last-Modified of every file of the release
    files: dict[str, ServedFile] = field(default_factory=dict)
    not_found: str | None = None  # the release's own 404 page, a key of ``files``

    def file_of(self, url_path: str) -> str | None:
        """The path under ``files/`` answering ``url_path`` (decoded, with its leading "/"), or
        None when the release has no such path."""
        entry = self.files.get(url_path)
        if entry is None:
            return None
        return entry.file or url_path.lstrip("/")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        files = {path: ServedFile(**entry) for path, entry in raw["files"].items()}
        return cls(raw["release"], raw["created_at"], files, raw.get("not_found"))


def hosted_root(state_dir: Path) -> Path:
    return state_dir / "hosted"


def site_dir(state_dir: Path, site_id: int) -> Path:
    return hosted_root(state_dir) / "sites" / str(site_id)


def release_dir(state_dir: Path, site_id: int, number: int) -> Path:
    return site_dir(state_dir, site_id) / "releases" / str(number)


def host_link(state_dir: Path, hostname: str) -> Path:
    if not is_hostname(hostname):
        raise ValueError(f"{hostname!r} is not a host name")
    return hosted_root(state_dir) / "hosts" / hostname


def is_hostname(name: str) -> bool:
    return bool(_HOSTNAME.match(name))


def live_release(state_dir: Path, hostname: str) -> Path | None:
    """The live release directory answering ``hostname``, or None; reads each link once."""
    if not is_hostname(hostname):
        return None
    found = live_release_dir(str(hosted_root(state_dir) / "hosts"), hostname)
    return None if found is None else Path(found)


def live_release_dir(hosts_dir: str, hostname: str) -> str | None:
    """``live_release`` on plain strings, for the web process's request path (pathlib costs
    more than the two readlinks). ``hostname`` must already be a valid host name."""
    try:
        site = os.readlink(f"{hosts_dir}/{hostname}")
        if not site.startswith("/"):
            site = f"{hosts_dir}/{site}"
        release = os.readlink(f"{site}/{CURRENT}")
    except OSError:
        return None
    return release if release.startswith("/") else f"{site}/{release}"


def site_of_host(state_dir: Path, hostname: str) -> int | None:
    """The id of the site ``hostname`` is linked to (under hosts/), or None."""
    if not is_hostname(hostname):
        return None
    try:
        target = os.readlink(host_link(state_dir, hostname))
    except OSError:
        return None
    name = target.rstrip("/").rsplit("/", 1)[-1]
    return int(name) if name.isdigit() else None


def is_inside_name(name: str) -> bool:
    """``name`` (as ``Manifest.file_of`` gives it) stays inside ``files/``: relative, no empty,
    "." or ".." segment, no backslash or NUL (which some tools treat as separators or ends)."""
    if not name or "\\" in name or "\x00" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def file_path(release: Path, name: str) -> Path:
    """The file ``name`` (a path under ``files/``, as ``Manifest.file_of`` gives it) of
    ``release``; a name that would leave ``files/`` is refused, whatever the manifest says."""
    if not is_inside_name(name):
        raise ValueError(f"{name!r} is not a file of the release")
    return release / FILES / name


def switch_link(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` atomically (a new link renamed over the old one)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    temp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if temp.is_symlink():
        temp.unlink()
    temp.symlink_to(target)
    os.replace(temp, link)
