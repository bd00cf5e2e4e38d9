"""Print SiteSpeak's version from sitespeak/__init__.py, the one place it is written (pyproject.toml
reads it too, as a dynamic field). Parsed, not imported: the build machine need not have the
dependencies. Usage: python3 version.py SRC_DIR
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def version(src: Path) -> str:
    tree = ast.parse((src / "sitespeak" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            "__version__"
        ]:
            return ast.literal_eval(node.value)
    raise SystemExit(f"no __version__ in {src}/sitespeak/__init__.py")


if __name__ == "__main__":
    print(version(Path(sys.argv[1])))
