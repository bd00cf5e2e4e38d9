# The README's commands. `make run` and `make test` need only Python 3.11+ (no root, no servers):
# without DATABASE_URL/REDIS_URL (run) or SITESPEAK_TEST_* (test) the embedded servers are used.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
# Test processes for `make test` (pytest-xdist): the suite mostly waits on the servers it
# starts, so two share a 2-core box well. Each file runs whole in one of them (tests/conftest.py).
TEST_PROCESSES ?= 2
# Python's bytecode cache, even where the environment turns it off: without it every test process
# rewrites and compiles each test module again (collection took 11 CPU-s instead of 4), and every
# server a test starts compiles sitespeak from source.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install run test test-fast lint bench bench-install lock

install: $(INSTALLED)

# Installs exactly the locked versions, checked against their hashes: requirements-dev.lock (the
# application and the dev extra) and requirements-nodeps.lock (model packages installed without
# their declared requirements, see [tool.sitespeak] in pyproject.toml). Reinstalls when a lock or
# pyproject.toml changes; `make lock` regenerates the locks after a pin is added or bumped.
# --no-deps everywhere: each lock is a whole closure, and pip 23's resolver took justext's
# `lxml[html_clean]` for an unpinned requirement once lxml 6.2.0 was out, refusing the install.
$(INSTALLED): pyproject.toml requirements-dev.lock requirements-nodeps.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "need Python 3.11+, found " + sys.version.split()[0])'
	@$(PYTHON) packaging/requirements.py pyproject.toml check-locks
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
	@echo "Installing the locked dependencies into $(VENV) (the first time takes a few minutes)..."
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements-nodeps.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# The locks, from pyproject.toml, with uv (pinned in the dev extra). One lock for every Python from
# 3.11 on and every platform (--universal; hashes of every wheel). requirements.lock is what the
# .deb installs (no dev extra); the dev lock is constrained to it and to the no-deps lock, so they
# agree on shared pins (tokenizers is a no-deps pin that a dev package requires).
UV_COMPILE = $(PY) -m uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock:
	@test -x $(PY) && $(PY) -m uv --version >/dev/null 2>&1 || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install --quiet "$$(sed -n 's/^ *"\(uv==[^"]*\)".*/\1/p' pyproject.toml)"; }
	$(UV_COMPILE) pyproject.toml -o requirements.lock
	$(PY) packaging/requirements.py pyproject.toml no-deps \
		| $(UV_COMPILE) --no-deps - -o requirements-nodeps.lock
	$(UV_COMPILE) pyproject.toml --extra dev -c requirements.lock -c requirements-nodeps.lock \
		-o requirements-dev.lock
	$(PY) packaging/requirements.py pyproject.toml bench | $(UV_COMPILE) - -o requirements-bench.lock

run: install
	$(PY) -m sitespeak dev

test: install
	$(PY) -m pytest -p tests.support.strict_skips -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

# The developer's loop: every test but the slow ones (server processes, browsers, crawls,
# packaging, faults, dev; tests/support/slow_tests.py says which and fails one that slips in).
test-fast: install
	$(PY) -m pytest -p tests.support.strict_skips -m "not slow" -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check sitespeak tests bench packaging
	$(PY) -m ruff format --check sitespeak tests bench packaging
	$(PY) -m mypy

# The bench extra (Pipecat, for the like-for-like comparison in bench/voice.py) in a virtualenv of
# its own: some of its pins differ from the application's, and nothing of it may reach .venv.
BENCH_VENV := .venv-bench
bench-install: $(BENCH_VENV)/.installed

$(BENCH_VENV)/.installed: pyproject.toml requirements-bench.lock
	@$(PYTHON) packaging/requirements.py pyproject.toml check-locks
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		--no-deps -r requirements-bench.lock
	@touch $@

bench: install bench-install
	@for script in bench/[!_]*.py; do echo "== $$script"; PYTHONPATH=$(CURDIR) $(PY) $$script || exit 1; done

# Packaging (packaging/README.md). `deb` needs dpkg-dev, binutils, python3.11, python3-venv and
# python3-psycopg2;
# `check-deb` needs root, debootstrap, lintian and the Debian archive of this machine's apt sources
# (7.5 min warm, 10 cold).
.PHONY: deb check-deb copyright
deb:
	packaging/build-deb.sh --out dist

# packaging/debian/copyright lists every distribution the .deb bundles: regenerate it after a lock
# change (it builds the .deb's virtualenv, then reads the licences from its metadata).
copyright:
	packaging/build-deb.sh --out dist --copyright-only

check-deb:
	packaging/check-deb.sh
