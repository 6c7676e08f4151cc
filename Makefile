# Two commands: `make run` (the portal on this machine) and `make test` (the suite).
# Both create .venv with Python 3.11 and install the project into it, again only when
# pyproject.toml changes (the stamp file records the last install).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install.stamp
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test bench install clean

run: $(STAMP)
	$(PY) -m deploy.run

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

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
	rm -rf $(VENV) *.egg-info .pytest_cache .test-artifacts
