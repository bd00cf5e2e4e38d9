"""The dev tests' state dir: short, because the embedded PostgreSQL puts its Unix socket there
and a socket path has at most 107 bytes (pytest's per-test dirs under pytest-xdist come close)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture()
def state() -> Path:
    made = Path(tempfile.mkdtemp(prefix="ss-state-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)
