# piiscan: `make run` and `make test` set everything up themselves, idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: setup system run test lint typecheck unit bench load eval samples clean

setup: system $(STAMP)

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

PORT ?= 8000

run: setup
	@# the embedded service (SQLite, var/buckets/ as the bucket, in-process worker) with samples/ dropped in;
	@# `piiscan scan samples/` scans the same files from the command line
	$(BIN)/piiscan serve --embedded --demo samples --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check piiscan tests scripts
	$(BIN)/ruff format --check piiscan tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy piiscan

unit: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

test: setup lint typecheck unit

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

# the figures of issue #9 in one run (needs PostgreSQL and Redis on loopback for the service part)
bench: setup $(BENCH_STAMP)
	$(BIN)/python -m piiscan.bench

UPLOADS ?= 60
WORKERS ?= 2

# a bounded load run through the real hook and workers: make load UPLOADS=60 WORKERS=2
load: setup
	$(BIN)/python -m piiscan.perf.load --uploads $(UPLOADS) --workers $(WORKERS)

eval: setup
	$(BIN)/piiscan eval

samples: $(STAMP)
	$(BIN)/python -m piiscan.synth.samples samples

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
