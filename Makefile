# evalround: `make demo` runs the whole hiring loop; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterHub's proxy, from the npm registry (graders on a hub: docs/jupyterhub.md)
PROXY_PREFIX := $(VENV)/node
# The browser tests drive Debian's Chromium (scripts/system-packages.sh); Playwright
# must never fetch a browser build of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install demo test lint typecheck unit bench data clean

$(STAMP): pyproject.toml scripts/system-packages.sh
	bash scripts/system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	npm install --silent --no-audit --no-fund --prefix $(PROXY_PREFIX) configurable-http-proxy@5
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/evalround demo --course .

lint: $(STAMP)
	$(BIN)/ruff check src tests exercises bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/grading_speed.py

data: $(STAMP)
	$(BIN)/python -m evalround.default_data

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
