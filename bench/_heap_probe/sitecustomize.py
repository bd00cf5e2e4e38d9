"""Bench-only: a Python heap probe for processes started with this directory on PYTHONPATH
(bench/idle_sessions.py --trace). With SITESPEAK_BENCH_HEAP=<dir> set, tracemalloc records
from the start, and when ``<dir>/take`` holds a label, every such process writes
``<dir>/<label>-<pid>.snap`` once. A thread polls for the file because Granian's workers run
Rust most of the time (a signal handler would wait); it is restarted in forked children."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from pathlib import Path

FOLDER = os.environ.get("SITESPEAK_BENCH_HEAP", "")


def _watch(folder: Path) -> None:
    done: set[str] = set()
    while True:
        time.sleep(0.3)
        try:
            label = (folder / "take").read_text().strip()
        except OSError:
            continue
        if label and label not in done:
            done.add(label)
            part = folder / f"{label}-{os.getpid()}.part"
            tracemalloc.take_snapshot().dump(str(part))
            part.rename(part.with_suffix(".snap"))  # whole, or not there yet


def _start() -> None:
    threading.Thread(target=_watch, args=(Path(FOLDER),), daemon=True).start()


if FOLDER:
    tracemalloc.start(int(os.environ.get("SITESPEAK_BENCH_HEAP_FRAMES", "8")))
    _start()
    os.register_at_fork(after_in_child=_start)
