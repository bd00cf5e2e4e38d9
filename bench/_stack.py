"""What every benchmark needs: real PostgreSQL and Redis — the servers named by
SITESPEAK_TEST_DATABASE_URL / SITESPEAK_TEST_REDIS_URL, else the embedded ones — with a fresh
database and Redis prefix, torn down at exit."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.services import TestServices, test_services  # noqa: E402


@contextmanager
def bench_services():
    with tempfile.TemporaryDirectory() as tmp, test_services(Path(tmp)) as found:
        from sitespeak.db.connection import open_database
        from sitespeak.db.migrate import migrate

        migrate(open_database(found.database_url, 4))
        yield found, Path(tmp)


def env_for(found: TestServices, state: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": found.database_url,
        "REDIS_URL": found.redis_url,
        "SITESPEAK_REDIS_PREFIX": found.redis_prefix,
        "SITESPEAK_STATE_DIR": str(state),
        "SITESPEAK_ENV_FILE": "",
        "SITESPEAK_LOG_LEVEL": "warning",
        **extra,
    }


def settings_for(found: TestServices, state: Path | None = None, **fields: object):
    """The Settings of a benchmark that calls domain code in its own process, on ``found``."""
    from sitespeak.settings import Settings

    if state is not None:
        fields["state_dir"] = state
    return Settings(
        database_url=found.database_url,
        redis_url=found.redis_url,
        redis_prefix=found.redis_prefix,
        **fields,
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def baseline_tree(ref: str, tmp: Path) -> Path:
    """The code at git ``ref``, unpacked (no git worktree left behind), for an A/B run."""
    tree = tmp / "baseline-code"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def baseline_env(env: dict, ref: str, tmp: Path) -> dict:
    """``env`` for processes running the code at ``ref``: its tree first on the path (and not
    the working directory, which -m would put first), its own speech socket."""
    return {
        **env,
        "PYTHONPATH": str(baseline_tree(ref, tmp)),
        "PYTHONSAFEPATH": "1",
        "SITESPEAK_SPEECH_SOCKET": str(tmp / "baseline-speech.sock"),
    }
