# ICT推進ボット — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOT_PORT ?= 3978
PLAYGROUND_PORT ?= 56150
DATA_DIR ?= var

.PHONY: run test test-fast playground package bench screenshots check-seed clean help

help:
	@echo "make run         install, seed the embedded store and start the bot on 127.0.0.1:$(BOT_PORT)"
	@echo "make test        install everything (Python, npm) and run the whole test suite"
	@echo "make playground  open the Microsoft 365 Agents Playground against the running bot"
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

# --- tools ----------------------------------------------------------------------------------
playground: node_modules/.installed
	@mkdir -p $(DATA_DIR)/playground
	@echo "ブラウザで http://localhost:$(PLAYGROUND_PORT) を開いてください（ボットは make run で起動しておきます）。"
	cd $(DATA_DIR)/playground && TEAMSAPPTESTER_BROWSER=none $(CURDIR)/node_modules/.bin/agentsplayground \
		-e http://127.0.0.1:$(BOT_PORT)/api/messages -c msteams -p $(PLAYGROUND_PORT) --disable-telemetry

package: $(VENV)/.runtime
	$(BIN)/python -m manifest.package --out build/ict-bot.zip

bench: $(VENV)/.dev
	$(BIN)/python bench/turns.py

check-seed: $(VENV)/.runtime
	$(BIN)/python -m services.seed check data

clean:
	rm -rf build .pytest_cache test-artifacts
