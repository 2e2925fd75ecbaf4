# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint typecheck unit schema migrations lock bench bench-profile bench-insights bench-interleaved bench-mixed wrk clean

$(STAMP): pyproject.toml constraints.txt miniprogram-mock/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' -e ./miniprogram-mock
	touch $(STAMP)

setup: $(STAMP)

## make run: migrate, seed demo data, start the mock WeChat server and the API (embedded mode)
run: setup
	$(BIN)/rongban dev

## make test: lint, type checks and the whole suite (real PostgreSQL/Redis when
## RONGBAN_TEST_DATABASE_URL / RONGBAN_TEST_REDIS_URL are set, see .ci/run)
test: setup lint typecheck unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy .

# The suite is spread over the cores (pytest-xdist; each worker has its own database and Redis
# database): the multi-process and fault tests spend most of their time waiting.
PYTEST_WORKERS ?= 2
unit: setup
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

## make schema: regenerate the committed SDL, the persisted-operations manifest and the
## state diagrams in docs/ (from the transition tables)
schema: setup
	$(BIN)/rongban export-contract
	$(BIN)/python -m api.docs

## make migrations NAME=what_changed: write a migration for model changes
migrations: setup
	$(BIN)/python -m tortoise -c api.tortoise_cli.TORTOISE_ORM makemigrations $(if $(NAME),--name $(NAME),)

## make lock: re-resolve dependencies from pyproject.toml into constraints.txt
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]' -e ./miniprogram-mock
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache

## make bench: seed city-scale data on PostgreSQL and Redis, then every read and write against a
## fair REST baseline and a bare Starlette endpoint, one table with the targets met or not
## (var/bench/report.md, report.png); PROFILE=1 or `make bench-profile` adds where the time goes
bench: setup wrk
	$(BIN)/python -m tests.perf.bench

bench-profile: setup wrk
	PROFILE=1 $(BIN)/python -m tests.perf.bench

wrk:
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && \
		(apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk))) || \
		(echo "make bench needs wrk (apt-get install wrk)" && exit 1)

## make bench-interleaved: what each switchable speed-up of the computed reads is worth, every
## combination measured round by round in one process (after `make bench`, on its database)
bench-interleaved: setup
	$(BIN)/python -m tests.perf.interleaved

## make bench-insights: appealInsights for a month and a district over a generated year of
## a million appeals, from the insight aggregates (target <= 1 s)
bench-insights: setup
	$(BIN)/python -m tests.perf.insights_bench

## make bench-mixed: the "city morning" mix with locust: capacity, then 70% of it (target
## p99 <= 3x the unloaded p50, no errors)
bench-mixed: setup
	$(BIN)/python -m tests.perf.city_morning
