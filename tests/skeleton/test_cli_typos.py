"""A typo in a command suggests the right one (issue 16, item 5), at every level."""

from __future__ import annotations

import subprocess

from tests.support.processes import run_command


def run(*args: str) -> subprocess.CompletedProcess:
    return run_command(None, *args)


def test_a_mistyped_command_suggests_the_right_one():
    done = run("crawll")
    assert done.returncode == 2
    assert "did you mean 'crawl'?" in done.stderr


def test_a_mistyped_subcommand_suggests_the_right_one():
    done = run("site", "lsit")
    assert done.returncode == 2
    assert "did you mean 'list'?" in done.stderr


def test_nothing_close_suggests_nothing():
    done = run("zzzzzz")
    assert done.returncode == 2 and "did you mean" not in done.stderr
