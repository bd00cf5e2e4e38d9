# The README's commands. `make run` and `make test` need only Python 3.11+ (no root, no servers):
# without DATABASE_URL/REDIS_URL (run) or SITESPEAK_TEST_* (test) the embedded servers are used.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test lint bench

install: $(INSTALLED)

# Reinstalls whenever pyproject.toml changes (a pin added or bumped).
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "need Python 3.11+, found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps \
		$$($(PY) packaging/requirements.py pyproject.toml no-deps)
	@touch $@

run: install
	$(PY) -m sitespeak dev

test: install
	$(PY) -m pytest -p tests.support.strict_skips $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check sitespeak tests bench packaging
	$(PY) -m ruff format --check sitespeak tests bench packaging

bench: install
	@for script in bench/[!_]*.py; do echo "== $$script"; PYTHONPATH=$(CURDIR) $(PY) $$script || exit 1; done

# Packaging (packaging/README.md). `deb` needs dpkg-dev, binutils, python3.11 and python3-venv;
# `check-deb` needs root, debootstrap, lintian and the Debian mirror (7.5 min warm, 10 cold).
.PHONY: deb check-deb
deb:
	packaging/build-deb.sh --out dist

check-deb:
	packaging/check-deb.sh
