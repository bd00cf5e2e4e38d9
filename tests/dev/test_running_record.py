"""The record a running `dev` leaves for admin commands: only the owner reads it, and one left
by a `dev` that was killed is not believed."""

from __future__ import annotations

import subprocess
import sys

from sitespeak.embedded import running


def test_the_record_is_private_and_names_the_servers(tmp_path) -> None:
    path = running.record(tmp_path, "postgresql://u@h/db", "redis://h/0")
    assert path.stat().st_mode & 0o077 == 0
    assert running.running_dev(tmp_path) == {
        "DATABASE_URL": "postgresql://u@h/db",
        "REDIS_URL": "redis://h/0",
    }
    running.forget(tmp_path)
    assert running.running_dev(tmp_path) is None and not path.exists()


def test_a_record_left_by_a_killed_dev_is_ignored(tmp_path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    (tmp_path / running.FILE).write_text(
        f"PID={gone.stdout.strip()}\nDATABASE_URL=postgresql://u@h/db\nREDIS_URL=redis://h/0\n"
    )
    assert running.running_dev(tmp_path) is None
