"""Unpacking an upload (a folder, a zip or a tar archive) into a new release's ``files/``, refusing
anything that could write outside it or exhaust the box, with an error naming the file.

Nothing here trusts what an archive says about itself: sizes are counted as bytes are written,
types come from each entry's mode, and every name is checked before anything is created.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from sitespeak.errors import InvalidInput
from sitespeak.settings import Settings

CHUNK = 256 * 1024
KINDS = ("folder", "zip", "tar")
# Below this many unpacked bytes the ratio is not judged: a small page of repeated markup
# compresses far better than 100:1 and bombs are measured in gigabytes.
RATIO_FLOOR = 16 * 1024 * 1024
# Clutter that archivers add, never part of a site.
IGNORED_PARTS = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db"})


def refused(name: str, why: str) -> InvalidInput:
    return InvalidInput(f"{name}: {why}", code="upload_refused")


@dataclass(frozen=True)
class Limits:
    max_files: int
    max_bytes: int
    max_ratio: float
    packed_bytes: int = 0  # the archive's size; 0 for a folder (no ratio to judge)

    @classmethod
    def of(cls, settings: Settings, packed_bytes: int = 0) -> Limits:
        return cls(
            settings.hosted_max_files,
            settings.hosted_max_site_bytes,
            settings.hosted_max_ratio,
            packed_bytes,
        )


@dataclass
class Unpacker:
    """Writes checked files under ``dest``, counting files and bytes against ``limits``."""

    dest: Path
    limits: Limits
    files: int = 0
    size: int = 0  # bytes written so far
    folders: int = 0
    # case-folded path -> (path, is a folder): names must differ by more than letter case
    _seen: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def name(self, raw: str | bytes) -> str | None:
        """The checked relative path of an entry, or None for clutter to skip."""
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise refused(repr(raw)[2:-1], "the name is not valid UTF-8") from None
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            shown = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise refused(shown, "the name is not valid UTF-8") from None
        if "\x00" in raw or "\\" in raw:
            raise refused(raw, "names may not hold NUL or backslashes (use / between folders)")
        if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
            raise refused(raw, "absolute paths are not allowed")
        parts = [p for p in PurePosixPath(raw).parts if p not in ("", ".")]
        if ".." in parts:
            raise refused(raw, "'..' in a path is not allowed")
        if not parts or any(p in IGNORED_PARTS for p in parts):
            return None
        return "/".join(parts)

    def claim(self, path: str, folder: bool = False) -> None:
        """Reserve ``path`` and its folders; refuse a second file of the name, a file and a
        folder of one name, and names differing only by letter case (one file on a Mac or
        Windows, and on a CDN that folds case)."""
        parts = path.split("/")
        for depth in range(1, len(parts)):
            self._claim_one("/".join(parts[:depth]), True)
        self._claim_one(path, folder)

    def _claim_one(self, path: str, folder: bool) -> None:
        key = path.casefold()
        other = self._seen.get(key)
        if other is None:
            self._seen[key] = (path, folder)
        elif other[0] != path:
            raise refused(path, f"clashes with {other[0]} (letter case)")
        elif other[1] != folder:
            raise refused(path, "a file and a folder have this name")
        elif not folder:
            raise refused(path, "appears twice")

    def directory(self, path: str) -> None:
        self.claim(path, folder=True)
        self.folders += 1
        if self.folders > self.limits.max_files:
            raise refused(path, f"more than {self.limits.max_files} folders in the upload")
        target = self.dest / path
        try:
            target.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise refused(path, "a file and a folder have this name") from None

    def write(self, path: str, source: IO[bytes]) -> None:
        self.claim(path)
        self.files += 1
        if self.files > self.limits.max_files:
            raise refused(path, f"more than {self.limits.max_files} files in the upload")
        target = self.dest / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = target.open("xb")
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            raise refused(path, "a file and a folder have this name") from None
        with out:
            while chunk := source.read(CHUNK):
                self.size += len(chunk)
                self._check_size(path)
                out.write(chunk)

    def _check_size(self, path: str) -> None:
        if self.size > self.limits.max_bytes:
            raise refused(path, f"the upload unpacks to more than {self.limits.max_bytes} bytes")
        packed = self.limits.packed_bytes
        if packed and self.size > RATIO_FLOOR and self.size > packed * self.limits.max_ratio:
            raise refused(
                path,
                f"the archive unpacks to over {self.limits.max_ratio:g} times its size "
                "(an archive bomb?)",
            )


def kind_of(path: Path, filename: str | None = None) -> str:
    """``folder``, ``zip`` or ``tar``, from what the file is (not from its name)."""
    if path.is_dir():
        return "folder"
    if zipfile.is_zipfile(path):
        return "zip"
    if tarfile.is_tarfile(path):
        return "tar"
    raise InvalidInput(
        f"{filename or path.name}: not a zip or tar archive (tar.gz and tar.bz2 are fine)",
        code="upload_refused",
    )


def unpack(source: Path, kind: str, dest: Path, settings: Settings) -> Unpacker:
    """Unpack ``source`` into the empty folder ``dest``; raise InvalidInput naming the file."""
    packed = 0 if kind == "folder" else source.stat().st_size
    unpacker = Unpacker(dest, Limits.of(settings, packed))
    if kind == "zip":
        _unzip(source, unpacker)
    elif kind == "tar":
        _untar(source, unpacker)
    elif kind == "folder":
        _copy_folder(source, unpacker)
    else:
        raise InvalidInput(f"unknown upload kind {kind!r}")
    _hoist_single_folder(dest)
    return unpacker


def _unzip(source: Path, unpacker: Unpacker) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise refused(source.name, f"not a readable zip archive ({exc})") from None
    with archive:
        for info in archive.infolist():
            # Without the UTF-8 flag Python decodes names as cp437: get the bytes back.
            raw: str | bytes = (
                info.filename if info.flag_bits & 0x800 else info.filename.encode("cp437")
            )
            path = unpacker.name(raw)
            if path is None:
                continue
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if info.is_dir() or kind == stat.S_IFDIR:
                unpacker.directory(path)
            elif kind == stat.S_IFLNK:
                raise refused(path, "links are not allowed in an archive")
            elif kind not in (0, stat.S_IFREG):
                raise refused(path, "only files and folders are allowed (a device or pipe?)")
            else:
                try:
                    with archive.open(info) as entry:
                        unpacker.write(path, entry)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                    raise refused(path, f"cannot be read from the archive ({exc})") from None


def _untar(source: Path, unpacker: Unpacker) -> None:
    try:
        archive = tarfile.open(source, mode="r|*", errors="surrogateescape")
    except (tarfile.TarError, OSError) as exc:
        raise refused(source.name, f"not a readable tar archive ({exc})") from None
    with archive:
        try:
            for member in archive:
                _untar_member(archive, member, unpacker)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise refused(source.name, f"the archive is damaged ({exc})") from None


def _untar_member(archive: tarfile.TarFile, member: tarfile.TarInfo, unpacker: Unpacker) -> None:
    if member.type in (tarfile.XHDTYPE, tarfile.XGLTYPE):
        return
    path = unpacker.name(member.name)
    if path is None:
        return
    if member.isdir():
        unpacker.directory(path)
    elif member.issym() or member.islnk():
        raise refused(path, f"links are not allowed in an archive (to {member.linkname})")
    elif not member.isreg():
        raise refused(path, "only files and folders are allowed (a device or pipe?)")
    else:
        entry = archive.extractfile(member)
        if entry is None:
            raise refused(path, "cannot be read from the archive")
        with entry:
            unpacker.write(path, entry)


def _copy_folder(source: Path, unpacker: Unpacker) -> None:
    if not source.is_dir():
        raise InvalidInput(f"{source}: not a folder")
    root = source.resolve()
    for entry, rel in _walk(root, ""):
        path = unpacker.name(os.fsencode(rel))
        if path is None:
            continue
        if entry.is_dir(follow_symlinks=False):
            unpacker.directory(path)
            continue
        real = Path(os.path.realpath(entry.path))
        if entry.is_symlink():
            if not real.is_relative_to(root):
                raise refused(path, "a link pointing out of the folder")
            if real.is_dir():
                raise refused(path, "a link to a folder (copy the folder instead)")
        if not real.is_file():
            raise refused(path, "only files and folders are allowed (a broken link or a pipe?)")
        with real.open("rb") as data:
            unpacker.write(path, data)


def _walk(folder: Path, prefix: str) -> Iterator[tuple[os.DirEntry[str], str]]:
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            rel = f"{prefix}{entry.name}"
            yield entry, rel
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(Path(entry.path), rel + "/")


def _hoist_single_folder(dest: Path) -> None:
    """An archive of one folder (``site/index.html``...) publishes that folder's contents."""
    children = list(dest.iterdir())
    if len(children) != 1 or not children[0].is_dir() or children[0].is_symlink():
        return
    only = children[0]
    moved = dest / f".hoist-{os.getpid()}"
    only.rename(moved)
    for child in moved.iterdir():
        child.rename(dest / child.name)
    shutil.rmtree(moved)
