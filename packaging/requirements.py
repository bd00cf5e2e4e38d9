"""Split pyproject.toml's dependencies for the bundled venv: the normal ones, and the ones a
comment right above marks "install it with --no-deps" (e.g. a model package whose declared
requirements would drag torch in). Usage: python3 requirements.py PYPROJECT normal|no-deps
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PIN = re.compile(r'^\s*"([^"]+)",?\s*(#.*)?$')


def split(pyproject: Path) -> tuple[list[str], list[str]]:
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    no_deps: list[str] = []
    flagged = False
    in_list = False
    # tomllib drops comments, so the flags are read from the raw lines of the same list.
    for line in pyproject.read_text().splitlines():
        if line.startswith("dependencies = ["):
            in_list = True
            continue
        if in_list and line.startswith("]"):
            break
        if not in_list:
            continue
        if line.strip().startswith("#"):
            flagged = flagged or "--no-deps" in line
            continue
        match = PIN.match(line)
        if match:
            if flagged or "--no-deps" in (match.group(2) or ""):
                no_deps.append(match.group(1))
            flagged = False
    normal = [d for d in declared if d not in no_deps]
    return normal, no_deps


if __name__ == "__main__":
    normal, no_deps = split(Path(sys.argv[1]))
    print("\n".join(normal if sys.argv[2] == "normal" else no_deps))
