# wechat-admin: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
# pytest processes of `make test` (pytest-xdist, whole files per process): most of the suite's time is spent
# waiting on real workers, leases and browsers, so two processes on two cores take ~20 minutes instead of ~35.
# TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app.py

.PHONY: run test lint bench

run: $(VENV)/.deps-run
	$(BIN)/python -m libs.launcher

test: $(VENV)/.deps-dev
	$(BIN)/ruff check .
	bash scripts/ensure-databases.sh
	bash scripts/install-browser.sh
	bash scripts/install-redis.sh
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.deps-dev
	$(BIN)/ruff check .

# Benchmarks (minutes; not part of `make test`): bench/results/*.json and the figures in docs/PERFORMANCE.md.
# BENCH_ARGS=--quick: the smaller runs of the benchmarks that have one (bench/accounts.py: 10 accounts, not 50).
bench: $(VENV)/.deps-dev
	bash scripts/ensure-databases.sh
	bash scripts/install-redis.sh
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# python3-venv is a separate Debian package; install it (as root) when the interpreter lacks ensurepip.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.deps-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.deps-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.deps-run
