# The two commands: `make preview` (offline preview of every stack) and `make test`.
# The first run bootstraps everything from the lock files: uv (tools/uv.txt, hash-pinned)
# into .tools/, then the project's virtualenv .venv from uv.lock.

PYTHON3 ?= python3
TOOLS   := .tools
UV      := $(TOOLS)/bin/uv
VENV    := .venv
PY      := $(VENV)/bin/python
CHECKOV := .venv-checkov/bin/checkov

.DEFAULT_GOAL := help
.PHONY: help venv preview check permissions scan test lint typecheck unit audit bench graphviz docs clean

help:
	@echo "make venv      install the locked dependencies into .venv (every target does it first)"
	@echo "make preview   offline preview of dev, staging and prod with the policy pack (no cloud, no Pulumi CLI)"
	@echo "make check     the policy pack over the three synthesized stacks"
	@echo "make test      lint, type check, security lint, the whole test suite and the checkov scan"
	@echo "make permissions whether each deployer can apply its stack (roles vs. resource types)"
	@echo "make scan      checkov over the three stacks' plan exports, the repository and the workflows"
	@echo "make audit     pip-audit of the locked dependencies (needs the PyPI advisory service)"
	@echo "make docs      regenerate every generated doc (config reference, README blocks, diagrams)"
	@echo "make bench     synth, check and preview time: seconds and ratios of a floor timed in the same run"
	@echo "make lint      ruff (lint and format check) and bandit"
	@echo "make typecheck mypy: the program's modules, then everything with the SDK types"
	@echo "make unit      the whole test suite (pytest)"
	@echo "make graphviz  install Graphviz (dot) with apt-get when it is missing"
	@echo "make clean     remove the virtualenvs and caches"
	@echo "make help      this list"

$(UV): tools/uv.txt
	$(PYTHON3) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes --no-deps -r tools/uv.txt
	@touch $@

$(VENV)/.synced: uv.lock pyproject.toml $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON3)
	@touch $@

venv: $(VENV)/.synced

preview: $(VENV)/.synced
	$(PY) -m preflight preview --all

# checkov pins packaging<24 and pulumi needs >=26: it gets its own virtualenv, hash-pinned.
$(CHECKOV): tools/checkov/requirements.txt
	$(PYTHON3) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r tools/checkov/requirements.txt
	@touch $@

scan: $(VENV)/.synced $(CHECKOV)
	$(PY) -m preflight scan --all

check: $(VENV)/.synced
	$(PY) -m preflight check --all

# Each environment's deployer (granted by bootstrap/) holds every permission its stack needs.
permissions: $(VENV)/.synced
	$(PY) -m preflight permissions --all

test: lint typecheck unit scan permissions

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --configfile pyproject.toml --recursive stacks components policies preflight scripts bootstrap __main__.py

# `mypy .` with pyproject.toml is what Pulumi's typechecker option runs before each deploy: the
# program's own modules, in seconds. tools/mypy/full.toml checks everything with the provider
# SDKs' types; the policy pack and the bootstrap program are checked from their own directories.
typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy .
	$(VENV)/bin/mypy --config-file tools/mypy/full.toml --cache-dir .mypy_cache/full .
	@for dir in policies bootstrap; do \
	  if [ -f $$dir/__main__.py ]; then \
	    echo "cd $$dir && mypy --config-file ../tools/mypy/full.toml ."; \
	    (cd $$dir && ../$(VENV)/bin/mypy --config-file ../tools/mypy/full.toml .) || exit 1; \
	  fi; \
	done

unit: $(VENV)/.synced $(CHECKOV) graphviz
	$(VENV)/bin/pytest

# Graphviz renders the SVG diagrams (preflight graph --format svg); Debian's package.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
graphviz:
	@command -v dot >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz; }

docs: $(VENV)/.synced $(CHECKOV)
	$(PY) -m preflight docs
	$(PY) -m preflight dotenv
	$(PY) -m preflight graph --docs
	$(PY) -m preflight scan --docs

audit: $(VENV)/.synced
	$(UV) export --frozen --format requirements-txt --no-emit-project > $(TOOLS)/audit-requirements.txt
	$(VENV)/bin/pip-audit --strict --require-hashes --disable-pip -r $(TOOLS)/audit-requirements.txt

bench: $(VENV)/.synced
	$(PY) bench/synth_bench.py
	$(PY) bench/check_bench.py
	$(PY) bench/preview_bench.py

clean:
	rm -rf $(TOOLS) $(VENV) .venv-checkov .mypy_cache .ruff_cache .pytest_cache
