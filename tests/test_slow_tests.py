"""The fast tier's promise: it starts no server process. A test that does is marked slow by
its fixtures or by hand; one that slips through fails in the fast tier, naming the fix."""

from __future__ import annotations

import os

from tests.support.processes import ROOT

pytest_plugins = ["pytester"]

SUITE = """
import pytest
from tests.support.slow_tests import check_may_start

@pytest.fixture()
def speech_process():
    check_may_start("a speech process")

def test_starts_a_server_unmarked():
    check_may_start("a web process")

@pytest.mark.slow
def test_starts_a_server_marked():
    check_may_start("a web process")

def test_uses_a_process_fixture(speech_process):
    pass

def test_starts_nothing():
    pass
"""


def _run(pytester, monkeypatch, *args: str):
    pytester.makepyfile(test_suite=SUITE)
    # The inner pytest is a subprocess in a temporary folder: it finds the ``tests`` package
    # only through PYTHONPATH (sys.path of this process does not carry over).
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH", "")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    return pytester.runpytest_subprocess("-p", "tests.support.slow_tests", "-q", *args)


def test_the_fast_tier_fails_a_test_that_starts_a_server_without_the_slow_mark(
    pytester, monkeypatch
):
    result = _run(pytester, monkeypatch, "-m", "not slow")
    result.assert_outcomes(passed=1, failed=1, deselected=2)
    result.stdout.fnmatch_lines(["*starts a web process: mark it pytest.mark.slow*"])


def test_a_full_run_starts_every_server_and_fails_nothing(pytester, monkeypatch):
    _run(pytester, monkeypatch).assert_outcomes(passed=4)
