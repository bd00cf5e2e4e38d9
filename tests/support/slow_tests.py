"""Which tests are slow: the fast tier (``make test-fast``, ``-m "not slow"``) runs none of them.

A test is slow when it is marked ``slow``, lives in a directory of process tests (dev, faults,
packaging), or uses a fixture that starts a server process, a crawl or a browser (directly or
through another fixture). In a run that leaves the slow tests out, a test that starts a
``sitespeak`` process anyway fails at once, saying to mark it, instead of quietly making the fast
tier slow again. Short command-line runs (``sitespeak token create``) are not server processes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SLOW_DIRS = frozenset({"dev", "faults", "packaging"})
# Fixtures that start processes or browsers; ``stack`` is the web-and-worker pair of a module.
PROCESS_FIXTURES = frozenset(
    {
        "own_postgres",
        "speech_process",
        "stack",
        "hosted_web",
        "voice_site",
        "widget_site",
        "browser",
    }
)

_state = {"fast_run": False, "slow_test": True}


def is_slow(item: pytest.Item) -> bool:
    if item.get_closest_marker("slow") is not None:
        return True
    path = item.path.resolve()
    parts = path.relative_to(TESTS).parts if path.is_relative_to(TESTS) else ()
    if len(parts) > 1 and parts[0] in SLOW_DIRS:
        return True
    return not PROCESS_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def pytest_configure(config: pytest.Config) -> None:
    _state["fast_run"] = "not slow" in (config.option.markexpr or "")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item) and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)  # before any fixture of the test starts something
def pytest_runtest_setup(item: pytest.Item) -> None:
    _state["slow_test"] = item.get_closest_marker("slow") is not None


def check_may_start(what: str) -> None:
    """Called by the helpers that start server processes."""
    if _state["fast_run"] and not _state["slow_test"]:
        raise RuntimeError(
            f"a test left in the fast tier starts {what}: mark it pytest.mark.slow "
            "(tests/support/slow_tests.py)"
        )
