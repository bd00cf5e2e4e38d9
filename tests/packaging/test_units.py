"""The systemd units, checked offline the way `make check-deb` does (no systemd needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

UNITS = ROOT / "packaging" / "systemd"
CHECK_UNITS = ROOT / "packaging" / "ci" / "check_units.py"
RUN_UNIT = ROOT / "packaging" / "ci" / "run_unit.py"

needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not Path("/usr/lib/systemd/system").is_dir(),
    reason="needs systemd-analyze (Debian package systemd)",
)


def check_units(units: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK_UNITS), str(units)], capture_output=True, text=True, timeout=120
    )


def keys(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (UNITS / unit).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


@needs_systemd_analyze
def test_every_unit_verifies_without_output_and_services_score_at_most_2_5():
    done = check_units(UNITS)
    assert done.returncode == 0, done.stdout + done.stderr
    scores = [float(s) for s in re.findall(r"exposure ([0-9.]+) \(limit", done.stdout)]
    assert len(scores) == 3 and max(scores) <= 2.5, done.stdout


@needs_systemd_analyze
def test_the_unit_check_fails_on_a_misspelt_key(tmp_path):
    broken = tmp_path / "units"
    shutil.copytree(UNITS, broken)
    web = broken / "sitespeak-web.service"
    web.write_text(web.read_text().replace("Restart=on-failure", "Restrat=on-failure"))
    done = check_units(broken)
    assert done.returncode == 1
    assert "Unknown key 'Restrat'" in done.stdout


@pytest.mark.parametrize(
    "unit",
    [
        "sitespeak-speech.service",
        "sitespeak-web.service",
        "sitespeak-worker.service",
        "sitespeak-worker@.service",
    ],
)
def test_each_service_runs_as_sitespeak_with_config_and_secrets_and_restarts_on_failure(unit):
    found = keys(unit)
    assert found["User"] == ["sitespeak"] and found["Group"] == ["sitespeak"]
    assert found["EnvironmentFile"] == [
        "/etc/sitespeak/sitespeak.env",
        "-/etc/sitespeak/secrets.env",
    ]
    assert found["Restart"] == ["on-failure"]
    assert found["ProtectSystem"] == ["strict"] and found["CapabilityBoundingSet"] == [""]
    assert found["StateDirectory"] == ["sitespeak"]
    # Migrations run in postinst, never inside a start timeout.
    assert "ExecStartPre" not in found and "migrate" not in found["ExecStart"][0]


def test_the_worker_waits_longer_for_running_tasks_than_the_web_for_requests():
    def seconds(value: str) -> int:
        number, unit = re.fullmatch(r"(\d+)(min|s)", value).groups()
        return int(number) * (60 if unit == "min" else 1)

    worker = seconds(keys("sitespeak-worker.service")["TimeoutStopSec"][0])
    web = seconds(keys("sitespeak-web.service")["TimeoutStopSec"][0])
    assert worker >= 600 and web >= 10 and worker > web
    assert keys("sitespeak-worker@.service")["TimeoutStopSec"] == ["15min"]


@pytest.mark.skipif(os.geteuid() != 0, reason="run_unit.py switches users: needs root")
def test_run_unit_starts_exec_start_as_the_unit_user_with_env_files_winning(tmp_path):
    conf, secrets = tmp_path / "a.env", tmp_path / "b.env"
    conf.write_text("# comment\nSHARED=from-file\nONLY_FILE=1\n")
    secrets.write_text("SECRET=s3\n")
    unit = tmp_path / "probe@.service"
    unit.write_text(
        "[Service]\nUser=nobody\nGroup=nogroup\nEnvironment=SHARED=from-unit QUEUE=%i\n"
        f"EnvironmentFile={conf}\nEnvironmentFile=-{secrets}\nEnvironmentFile=-/nonexistent\n"
        "WorkingDirectory=/\nUMask=0027\n"
        "ExecStart=/bin/sh -c 'echo $(id -un) $SHARED $ONLY_FILE $SECRET $QUEUE $(umask)'\n"
    )
    done = subprocess.run(
        [sys.executable, str(RUN_UNIT), str(unit), "crawler"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "nobody from-file 1 s3 crawler 0027"


def test_the_hardening_block_is_the_same_in_every_service():
    marker = "# --- hardening"
    blocks = {
        unit.name: unit.read_text().split(marker, 1)[1].split("[Install]")[0]
        for unit in UNITS.glob("*.service")
    }
    assert len(blocks) == 4 and len(set(blocks.values())) == 1, blocks.keys()


def test_the_speech_process_is_part_of_the_target_and_starts_before_the_web():
    target = (UNITS / "sitespeak.target").read_text()
    assert "sitespeak-speech.service" in target.split("Wants=", 1)[1].splitlines()[0]
    speech, web = keys("sitespeak-speech.service"), keys("sitespeak-web.service")
    assert speech["Environment"][0] == "PROCESS_TYPE=speech"
    assert speech["Before"] == ["sitespeak-web.service"]
    assert "sitespeak-speech.service" in " ".join(web["After"])
    # Ready (sd_notify) only once the models are loaded and the socket listens.
    assert speech["Type"] == ["notify"] and speech["PartOf"] == ["sitespeak.target"]
