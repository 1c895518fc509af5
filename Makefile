# Jotunheim developer commands. `make test` is what CI runs (.ci/run).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HEAP ?= 256k

.PHONY: venv test lint format proto proto-check bench stress demo system-deps clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

# Debian packages the suite needs (Mosquitto for Loki's MQTT tests); installed when missing.
system-deps:
	@bash tools/system-deps.sh

lint: venv
	$(BIN)/ruff check src tests bench tools examples
	$(BIN)/ruff format --check src tests bench tools examples

format: venv
	$(BIN)/ruff format src tests bench tools examples
	$(BIN)/ruff check --fix src tests bench tools examples

proto: venv
	$(BIN)/python tools/genproto.py

proto-check: venv
	$(BIN)/python tools/genproto.py --check

test: venv system-deps lint
	$(BIN)/python -m pytest -p no:cacheprovider --cov=jotunheim --cov-report=term:skip-covered tests

bench: venv
	$(BIN)/python bench/run_all.py

stress: venv
	$(BIN)/python -m pytest -p no:cacheprovider -m stress tests

demo: venv system-deps
	$(BIN)/python -m jotunheim.cli.demo

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .coverage .ruff_cache
