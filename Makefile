# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow lint lock sandbox bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seatbridge demo

# the default suite on TEST_JOBS workers (pytest-xdist), a test file per worker at a time: the
# suite's servers, databases and folders are each test's own, so files run side by side
TEST_JOBS ?= 2
# property tests draw the same examples on every run of `make test` (CI's verdict never depends on
# a lucky draw); `make test HYPOTHESIS_SEED=random` explores new ones, as plain `pytest` does
HYPOTHESIS_SEED ?= 28
SEED_OPT := $(if $(filter random,$(HYPOTHESIS_SEED)),,--hypothesis-seed=$(HYPOTHESIS_SEED))
test: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_JOBS) --dist loadfile $(SEED_OPT)

# the slow scenario tests (marked slow; CI runs them after `make test`)
test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bridge
	$(BIN)/lint-imports

# requirements.lock: every runtime dependency pinned with its hashes, for any platform (README,
# "Without a checkout"); keeps the pins it can, `make lock UPGRADE=--upgrade` moves them all
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command 'make lock' --quiet $(UPGRADE) -o requirements.lock

sandbox: $(STAMP)
	$(BIN)/seatbridge sandbox serve

# the chaos soak (README "Reliability"): SCHEDULES fault schedules, JOBS at a time
SCHEDULES ?= 1000
JOBS ?= 3
soak: $(STAMP)
	$(BIN)/python -m bridge.testing.chaos --schedules $(SCHEDULES) --jobs $(JOBS) --profile soak --out chaos-figures.json

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
