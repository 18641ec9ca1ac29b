# ICT推進ボット — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOT_PORT ?= 3978
PLAYGROUND_PORT ?= 56150
PLAYGROUND_USER ?= admin
DATA_DIR ?= var

.PHONY: run test test-fast test-e2e fuzz playground package bench screenshots check-seed clean help

help:
	@echo "make run         install, seed the embedded store and start the bot on 127.0.0.1:$(BOT_PORT)"
	@echo "make test        install everything (Python, npm) and run the whole test suite"
	@echo "make playground  open the Microsoft 365 Agents Playground against the running bot"
	@echo "                 (PLAYGROUND_USER=dx_health|dx_child|manager|contact|staff to be another test user)"
	@echo "make test-e2e    only the end-to-end tests (Agents Playground in headless Chromium)"
	@echo "make fuzz        the property-based edge tests with 10,000 examples each (make test runs a few hundred)"
	@echo "make screenshots regenerate docs/screenshots/*.png from the Playground"
	@echo "make package     build the Teams app package (build/ict-bot.zip) with MicrosoftAppId"
	@echo "make bench       run the benchmarks under bench/"

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

# --- the two commands ---------------------------------------------------------------------
run: $(VENV)/.runtime
	DATA_DIR=$(DATA_DIR) BOT_PORT=$(BOT_PORT) $(BIN)/python app.py --seed

test: $(VENV)/.dev node_modules/.installed
	$(BIN)/python -m pytest

test-fast: $(VENV)/.dev node_modules/.installed
	$(BIN)/python -m pytest -m "not e2e"

test-e2e: $(VENV)/.dev node_modules/.installed
	$(BIN)/python -m pytest tests/e2e -q

fuzz: $(VENV)/.dev
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/http/test_fuzz.py -q -p no:cacheprovider \
		--timeout=0 --hypothesis-show-statistics

# --- tools ----------------------------------------------------------------------------------
# The Playground runs in a scratch copy (it writes devTools/ where it runs) of the committed
# config playground/.m365agentsplayground.yml: the test tenant, team and users of tests/e2e.
# If PLAYGROUND_PORT is busy it silently takes another port: use the address it prints.
playground: node_modules/.installed
	@rm -rf $(DATA_DIR)/playground && mkdir -p $(DATA_DIR)/playground
	@if [ "$(PLAYGROUND_USER)" = admin ]; then \
		cp playground/.m365agentsplayground.yml $(DATA_DIR)/playground/; \
	else \
		$(BIN)/python -m tests.support.playground $(PLAYGROUND_USER) > $(DATA_DIR)/playground/.m365agentsplayground.yml; \
	fi
	@echo "ブラウザで下に表示される http://localhost:<ポート> を開いてください（ボットは make run で起動しておきます）。"
	cd $(DATA_DIR)/playground && TEAMSAPPTESTER_BROWSER=none $(CURDIR)/node_modules/.bin/agentsplayground \
		-e http://127.0.0.1:$(BOT_PORT)/api/messages -c msteams -p $(PLAYGROUND_PORT) --disable-telemetry

package: $(VENV)/.runtime
	$(BIN)/python -m manifest.package --out build/ict-bot.zip

bench: $(VENV)/.dev
	$(BIN)/python bench/turns.py
	$(BIN)/python bench/fanout.py

screenshots: $(VENV)/.dev node_modules/.installed
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/e2e/test_screenshots.py -q -p no:cacheprovider

check-seed: $(VENV)/.runtime
	$(BIN)/python -m services.kernel.seed check data

clean:
	rm -rf build .pytest_cache test-artifacts
