# Two commands: `make run` (the portal on this machine) and `make test` (the suite).
# Both create .venv with Python 3.11 and install the project into it, again only when
# pyproject.toml changes (the stamp file records the last install).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install.stamp
PYTEST_ARGS ?=
BENCH_ARGS ?=

# The browser tests (tests/browser) drive Debian's Chromium (through its chromedriver) and
# inject axe-core from npm.
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
AXE_VERSION := 4.11.1
AXE := .browser-tools/node_modules/axe-core/axe.min.js
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test bench install clean browser-tools

run: $(STAMP)
	$(PY) -m deploy.run

test: $(STAMP) browser-tools
	$(PY) -m pytest $(PYTEST_ARGS)

browser-tools: $(CHROMIUM) $(CHROMEDRIVER) $(AXE)

# Installed only when missing; never a browser downloaded by a test tool.
$(CHROMIUM) $(CHROMEDRIVER):
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver

$(AXE):
	npm install --prefix .browser-tools --no-audit --no-fund --no-save axe-core@$(AXE_VERSION)

# Against a running `make run`: e.g. make bench BENCH_ARGS="--users 50 --duration 20"
bench: $(STAMP)
	$(PY) benchmarks/accueil.py $(BENCH_ARGS)

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .test-artifacts .browser-tools
