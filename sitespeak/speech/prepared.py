"""The prepared phrases' audio kept on disk, so a restart of the speech process (an upgrade, a
crash) does not throw away what the instant answers' job spent minutes of background synthesis
on. Only phrases synthesized at background priority (prepared) are kept, not every phrase a turn
happened to synthesize.

One file per phrase in ``<state dir>/speech/prepared``, named by the hash of its text: written
to a temporary file and renamed over (a crash leaves the old file or the new one, never half of
one), compressed, with a checksum of text and audio. A file that does not read back whole and
matching (a torn disk, an edit, another version's format) is deleted and the phrase is simply
synthesized again. The folder is bounded: past ``max_bytes`` the phrases prepared longest ago
go first.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

from sitespeak.voice.speech_cache import Audio

log = logging.getLogger(__name__)

MAGIC = b"SSPREP1\n"
_HEAD = struct.Struct("!I")
SUFFIX = ".phrase"


def file_name(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40] + SUFFIX


def _checksum(text: str, pcm: bytes) -> str:
    return hashlib.sha256(text.encode() + b"\0" + pcm).hexdigest()


def encode(text: str, audio: Audio) -> bytes:
    pcm, rate = audio
    head = json.dumps({"text": text, "rate": rate, "sha256": _checksum(text, pcm)}).encode()
    return MAGIC + _HEAD.pack(len(head)) + head + zlib.compress(pcm, 1)


def decode(data: bytes) -> tuple[str, Audio]:
    """The phrase and its audio; ValueError when the bytes are not a whole, matching entry."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _HEAD.size:
        raise ValueError("not a prepared-phrase file")
    start = len(MAGIC) + _HEAD.size
    (size,) = _HEAD.unpack(data[len(MAGIC) : start])
    try:
        head = json.loads(data[start : start + size])
        text, rate, digest = str(head["text"]), int(head["rate"]), str(head["sha256"])
        pcm = zlib.decompress(data[start + size :])
    except (KeyError, TypeError, ValueError, zlib.error) as exc:
        raise ValueError(f"unreadable prepared phrase: {exc}") from None
    if _checksum(text, pcm) != digest:
        raise ValueError("checksum mismatch")
    return text, (pcm, rate)


class PreparedAudio:
    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder, self.max_bytes = folder, max_bytes
        self._sizes: OrderedDict[str, int] = OrderedDict()  # file name -> bytes, oldest first
        self.bytes = 0
        self._lock = threading.Lock()  # saves run in executor threads

    def __len__(self) -> int:
        return len(self._sizes)

    def load(self) -> list[tuple[str, Audio]]:
        """Every entry that reads back whole, oldest first; the others are deleted."""
        if not self.max_bytes:
            return []
        self.folder.mkdir(parents=True, exist_ok=True)
        for stray in self.folder.glob(".*.tmp"):  # a write a crash interrupted
            stray.unlink(missing_ok=True)
        entries = []
        for path in sorted(self.folder.glob("*" + SUFFIX), key=_mtime):
            try:
                text, audio = decode(path.read_bytes())
                if file_name(text) != path.name:
                    raise ValueError("file name does not match its phrase")
            except (OSError, ValueError) as exc:
                log.warning("ignoring prepared phrase %s: %s", path.name, exc)
                path.unlink(missing_ok=True)
                continue
            entries.append((text, audio))
            self._add(path.name, path.stat().st_size)
        with self._lock:
            self._trim()
        kept = set(self._sizes)
        return [(text, audio) for text, audio in entries if file_name(text) in kept]

    def keep(self, text: str, audio: Audio) -> None:
        """Save a prepared phrase (or mark one saved before as prepared again, newest)."""
        if not self.max_bytes:
            return
        name = file_name(text)
        path = self.folder / name
        with self._lock:
            if name in self._sizes and path.exists():
                self._sizes.move_to_end(name)
                os.utime(path)
                return
        data = encode(text, audio)
        if len(data) > self.max_bytes:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{name}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        with self._lock:
            self._add(name, len(data))
            self._trim()

    def _add(self, name: str, size: int) -> None:
        self.bytes -= self._sizes.pop(name, 0)
        self._sizes[name] = size
        self.bytes += size

    def _trim(self) -> None:
        while self.bytes > self.max_bytes and self._sizes:
            name, size = self._sizes.popitem(last=False)
            self.bytes -= size
            (self.folder / name).unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
