"""``-p tests.support.strict_skips``: with ``--fail-on-skip`` or ``SITESPEAK_FAIL_ON_SKIP=1``
(CI sets it) any skipped test or module fails the run: CI installs every tool the tests need,
so a skip there means a test silently did not run. Skips still run to the end and are listed."""

from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fail-on-skip",
        action="store_true",
        default=os.environ.get("SITESPEAK_FAIL_ON_SKIP") == "1",
        help="fail the run when any test or module is skipped (CI)",
    )


def _note(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid or str(report.fspath))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.getoption("--fail-on-skip") and _skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if config.getoption("--fail-on-skip") and _skipped:
        terminalreporter.write_line(
            f"--fail-on-skip: {len(_skipped)} skipped, so this run "
            "fails: " + ", ".join(_skipped[:10]),
            red=True,
        )
