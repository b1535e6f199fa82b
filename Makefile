# piiscan: `make run` and `make test` set everything up themselves, idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: setup system run test lint typecheck unit fuzz bench load eval samples clean

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
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q

test: setup lint typecheck unit

# Hostile input, longer than in `make test`: the API from its OpenAPI schema (schemathesis) and the
# sniffer and extractors on mutated files (Hypothesis). Examples per API operation / per parser test.
FUZZ_EXAMPLES ?= 300
fuzz: setup
	PIISCAN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q \
		tests/service/test_api_fuzz.py tests/scanner/test_fuzz_parsers.py

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
