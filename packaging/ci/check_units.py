"""Check systemd units offline: `systemd-analyze verify` must print nothing (it exits 0 on
unknown keys, so any output is a failure) and `systemd-analyze security --offline=yes` must give
an exposure of at most MAX_EXPOSURE for the long-running services.

Runs against a throw-away root holding the host's own system units (so sysinit.target & co.
resolve) and a stand-in ExecStart binary: what is checked is the unit files, not the install.
Usage: python3 check_units.py UNIT_DIR  (prints one line per check; exit 1 on any failure)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MAX_EXPOSURE = 2.5
SCORED = ("sitespeak-speech.service", "sitespeak-web.service", "sitespeak-worker.service")
# A template is verified through one instance.
INSTANCES = {"sitespeak-worker@.service": "sitespeak-worker@crawler.service"}
EXPOSURE = re.compile(r"Overall exposure level for \S+: ([0-9.]+)")


def _root(units: Path, work: Path) -> Path:
    root = work / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    target = root / "etc/systemd/system"
    target.mkdir(parents=True)
    for unit in units.iterdir():
        if unit.suffix in (".service", ".target", ".timer", ".socket"):
            shutil.copy(unit, target / unit.name)
            for line in unit.read_text().splitlines():
                if line.startswith("ExecStart="):
                    binary = root / line.split("=", 1)[1].split()[0].lstrip("-@:+!").lstrip("/")
                    binary.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy("/usr/bin/true", binary)
    return root


def verify(root: Path, names: list[str]) -> list[str]:
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *names], capture_output=True, text=True
    )
    text = (done.stdout + done.stderr).strip()
    return (
        [f"verify {' '.join(names)}: {text or 'exit ' + str(done.returncode)}"]
        if (text or done.returncode)
        else []
    )


def exposure(root: Path, name: str) -> float:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", f"--root={root}", "--no-pager", name],
        capture_output=True,
        text=True,
    )
    found = EXPOSURE.search(done.stdout + done.stderr)
    if not found:
        raise RuntimeError(f"no exposure score for {name}: {done.stdout}{done.stderr}")
    return float(found.group(1))


def check(units: Path) -> tuple[list[str], dict[str, float]]:
    names = sorted(
        INSTANCES.get(u.name, u.name)
        for u in units.iterdir()
        if u.suffix in (".service", ".target")
    )
    with tempfile.TemporaryDirectory() as work:
        root = _root(units, Path(work))
        failures = verify(root, names)
        scores = {name: exposure(root, name) for name in SCORED}
    failures += [
        f"security {name}: exposure {score} > {MAX_EXPOSURE}"
        for name, score in scores.items()
        if score > MAX_EXPOSURE
    ]
    return failures, scores


def main(units: str) -> int:
    failures, scores = check(Path(units))
    for name, score in scores.items():
        print(f"check_units: {name} exposure {score} (limit {MAX_EXPOSURE})")
    for failure in failures:
        print(f"check_units: FAIL {failure}")
    print("check_units: " + ("FAILED" if failures else "all units verified"))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
