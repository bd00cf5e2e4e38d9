"""Index the test site through the knowledge base's own `crawl SITE` command (foreground)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import ROOT


def index_site(env: dict, site_id: int, site_name: str, tenant: str, log_dir: Path) -> None:
    cmd = [sys.executable, "-m", "sitespeak", "crawl", site_name, "--tenant", tenant]
    done = subprocess.run(
        cmd, env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    (log_dir / "crawl.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(
            f"crawl of site {site_id} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
