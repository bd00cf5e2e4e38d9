"""Print the Debian packages that the ELF files under a directory need from the system.

Libraries a wheel bundles (auditwheel's ``*.libs`` folders, or anywhere in the tree) are not
dependencies; every other NEEDED entry is looked up with ldconfig and ``dpkg -S`` on the build
machine. Usage: python3 shlib_depends.py DIR  ->  "libc6, libgcc-s1, libstdc++6"
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[(.+?)\]")


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def needed(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
    return NEEDED.findall(out)


def system_paths() -> dict[str, str]:
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    paths: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        if "x86-64" in name or "x86_64" in name or "(libc6)" in name or "AArch64" in name:
            paths.setdefault(name.split(" ")[0], path)
    return paths


def owner(path: str) -> str | None:
    for candidate in (path, str(Path(path).resolve())):
        done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0].strip()
        # usrmerge: dpkg knows /lib/... while ldconfig reports /usr/lib/... (or the reverse)
        alt = candidate[4:] if candidate.startswith("/usr/") else "/usr" + candidate
        done = subprocess.run(["dpkg", "-S", alt], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0].strip()
    return None


def main(root: Path) -> int:
    files = elf_files(root)
    bundled = {p.name for p in files}
    wanted = {lib for f in files for lib in needed(f)} - bundled
    paths = system_paths()
    packages, missing = set(), []
    for lib in sorted(wanted):
        pkg = owner(paths[lib]) if lib in paths else None
        if pkg:
            packages.add(pkg)
        else:
            missing.append(lib)
    if missing:
        print(
            "shlib_depends: not found on this machine (left out): " + ", ".join(missing),
            file=sys.stderr,
        )
    print(", ".join(sorted(packages)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
