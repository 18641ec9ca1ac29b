# ICT推進ボット — start with `make help`; the README's quick start says which target to use when.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLAYGROUND_PORT ?= 56150
PLAYGROUND_USER ?= admin
# The meeting day of the seed material: `make demo` starts the bot's clock here.
DEMO_CLOCK_START ?= 2023-08-08T09:00:00+09:00

# BOT_PORT, DATA_DIR and every other setting are read by the app itself: the environment first, then
# .env, then its defaults (3978, var). The Makefile sets none of them, so .env is never overridden;
# `make run BOT_PORT=4000` still works (make exports command-line variables to the app).
# SETTING prints one effective setting as the app sees it (for the targets that need the port or folder).
SETTING = $(BIN)/python -c 'from services.kernel.settings import Settings; print(Settings.from_env().$(1))'

.PHONY: help run demo playground test test-fast test-e2e fuzz lint package bench bench-audit bench-load bench-outage \
	screenshots check-seed reset clean

help:  ## this list
	@echo "ICT推進ボット: make <target>"
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  make \1\t\2/' | expand -t 22

# --- installation (stamp files make repeated runs cheap) -----------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# --- running the bot ------------------------------------------------------------------------
run: $(VENV)/.runtime  ## install, seed the store and start the bot (127.0.0.1:3978 unless .env says otherwise); Ctrl+C stops it
	$(BIN)/python app.py --seed

demo: $(VENV)/.runtime  ## like run, with the clock at the meeting day (2023-08-08 09:00 JST) and its own store (DATA_DIR/demo)
	BOT_CLOCK_START=$(DEMO_CLOCK_START) DATA_DIR="$$($(call SETTING,data_dir))/demo" $(BIN)/python app.py --seed

# The Playground runs in a scratch copy (it writes devTools/ where it runs) of the committed
# config playground/.m365agentsplayground.yml: the test tenant, team and users of tests/e2e.
# If PLAYGROUND_PORT is busy it silently takes another port: use the address it prints.
playground: node_modules/.installed $(VENV)/.runtime  ## chat with the running bot in the Agents Playground (PLAYGROUND_USER=dx_health|dx_child|manager|contact|staff)
	@set -e; port=$$($(call SETTING,port)); data=$$($(call SETTING,data_dir)); \
	rm -rf "$$data/playground" && mkdir -p "$$data/playground"; \
	if [ "$(PLAYGROUND_USER)" = admin ]; then \
		cp playground/.m365agentsplayground.yml "$$data/playground/"; \
	else \
		$(BIN)/python -m tests.support.playground $(PLAYGROUND_USER) > "$$data/playground/.m365agentsplayground.yml"; \
	fi; \
	echo "ブラウザで下に表示される http://localhost:<ポート> を開いてください（ボットは make run で起動しておきます）。"; \
	cd "$$data/playground" && TEAMSAPPTESTER_BROWSER=none $(CURDIR)/node_modules/.bin/agentsplayground \
		-e http://127.0.0.1:$$port/api/messages -c msteams -p $(PLAYGROUND_PORT) --disable-telemetry

reset: $(VENV)/.runtime  ## delete the local SQLite store (and the demo's and the Playground's scratch copy); the next run re-seeds
	@set -e; data=$$($(call SETTING,data_dir)); \
	for f in "$$data"/ict-bot.sqlite3{,-wal,-shm} "$$data"/demo/ict-bot.sqlite3{,-wal,-shm}; do \
		if [ -e "$$f" ]; then rm -f "$$f" && echo "削除しました: $$f"; fi; \
	done; \
	rm -rf "$$data/playground"; \
	echo "ローカルのデータを消しました（$$data）。次の make run で初期データから始まります。"

# --- tests and checks -----------------------------------------------------------------------
test: lint  ## lint and type checks, then the whole test suite (installs everything first)
	$(BIN)/python -m pytest

lint: $(VENV)/.dev node_modules/.installed  ## ruff check, ruff format --check and pyright over the whole tree
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node_modules/.bin/pyright

test-fast: $(VENV)/.dev node_modules/.installed  ## the suite without the browser end-to-end tests (no lint)
	$(BIN)/python -m pytest -m "not e2e"

test-e2e: $(VENV)/.dev node_modules/.installed  ## only the end-to-end tests (Agents Playground in headless Chromium)
	$(BIN)/python -m pytest tests/e2e -q

fuzz: $(VENV)/.dev  ## the property-based edge tests with 10,000 examples each (make test runs a few hundred)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/http/test_fuzz.py -q -p no:cacheprovider \
		--timeout=0 --hypothesis-show-statistics

check-seed: $(VENV)/.runtime  ## validate the CSV files under data/ and print a one-line summary
	$(BIN)/python -m services.kernel.seed check data

# --- tools ----------------------------------------------------------------------------------
package: $(VENV)/.runtime  ## the Teams app package build/ict-bot.zip (MicrosoftAppId and TEAMS_APP_*_URL from the environment or .env)
	$(BIN)/python -m manifest.package --out build/ict-bot.zip

bench: $(VENV)/.dev  ## run the benchmarks under bench/ (they print figures; bench-audit is separate)
	$(BIN)/python bench/turns.py
	$(BIN)/python bench/fanout.py

bench-load: $(VENV)/.dev node_modules/.installed  ## mixed load for 60 s at concurrency 16 and 64 on SQLite, Azurite and with a linkage audit, against two echo bots (about 20 minutes; BENCH_LOAD_ARGS=--quick for 10 s runs)
	$(BIN)/python bench/load.py $(BENCH_LOAD_ARGS)

bench-audit: $(VENV)/.dev  ## the My Number linkage audit on 820,000 × 800,000 generated rows (a few minutes)
	$(BIN)/python bench/audit.py

bench-outage: $(VENV)/.dev node_modules/.installed  ## storage outage under load: Azurite stopped, restarted, frozen, thawed (about 2 min)
	$(BIN)/python bench/storage_outage.py --phase-seconds 20

screenshots: $(VENV)/.dev node_modules/.installed  ## regenerate docs/screenshots/*.png from the Playground
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/e2e/test_screenshots.py -q -p no:cacheprovider

clean:  ## remove build/, test-artifacts/ and caches (not the local store: see reset)
	rm -rf build .pytest_cache test-artifacts
