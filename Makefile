# Self-describing targets: `make help`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.DEFAULT_GOAL := help
.PHONY: help run test coverage lint format check-program clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The first install takes a minute or two: pip shows each package as it goes.
$(VENV)/.runtime: requirements.txt
	@echo "Installing the bot's requirements into $(VENV) (first run, or requirements.txt changed)..."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -r requirements.txt
	@echo "Installed."
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@echo "Installing the test and lint tools into $(VENV)..."
	$(PY) -m pip install --progress-bar on -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime ## Run the bot (web, worker; embedded Redis and sandbox LINE unless configured)
	@$(PY) -m sandbox.launcher

# The ledger, POS, webhook, sweep, CLI and feature tests a second time with the member data on a
# Redis Cluster of three primaries the suite starts (REDIS_CLUSTER=1; queues on their own Redis),
# less the tests that start Redis servers of their own and the browser's entrance screen.
CLUSTER_TESTS := tests/store tests/web tests/operations tests/jobs/test_sweep.py \
	tests/jobs/test_sweep_parts.py \
	tests/jobs/test_history_retention.py tests/rewards tests/visits tests/campaigns tests/cli \
	--deselect tests/store/test_cluster_failover.py --deselect tests/store/test_replication.py \
	--deselect tests/visits/test_entrance_browser.py

test: $(VENV)/.dev ## Run the whole test suite (starts its own Redis, Redis Cluster and fake LINE)
	$(PY) -m pytest $(PYTEST_ARGS)
	LOYALTY_TEST_CLUSTER=1 $(PY) -m pytest -q $(CLUSTER_TESTS)

coverage: $(VENV)/.dev ## The single-Redis suite with a line coverage report (slower than make test)
	$(PY) -m pytest -q --cov=bot --cov=richmenu --cov=sandbox --cov-report=term:skip-covered $(PYTEST_ARGS)

lint: $(VENV)/.dev ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-program: $(VENV)/.runtime ## Validate the program file and print it (PROGRAM=path, else LOYALTY_PROGRAM or the example)
	$(VENV)/bin/flask --app wsgi program check $(PROGRAM)

format: $(VENV)/.dev ## Format the code with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean: ## Remove the virtualenv and local sandbox data (var/)
	rm -rf $(VENV) var
