# Salon Flow: every target sets up what it needs from pinned versions.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv lint unit integration e2e test demo up bench predeploy clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The Node suite of the security rules (@firebase/rules-unit-testing), pinned by its lock file.
RULES_NODE := tests/rules/node_modules/.package-lock.json

$(RULES_NODE): tests/rules/package.json tests/rules/package-lock.json
	npm ci --prefix tests/rules --no-audit --no-fund --loglevel=error
	touch $(RULES_NODE)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

unit: venv
	$(VENV)/bin/pytest tests/unit -q

integration: venv $(RULES_NODE)
	$(VENV)/bin/pytest tests/integration -q

e2e: venv
	$(VENV)/bin/pytest tests/e2e -q

test: lint $(RULES_NODE)
	$(VENV)/bin/pytest -q -p no:cacheprovider

demo: venv
	$(PY) -m salonflow.demo

up: venv
	$(PY) -m localcloud up

bench: venv
	$(PY) bench/emulator.py

predeploy:
	rm -rf functions/salonflow
	cp -r shared/salonflow functions/salonflow

clean:
	rm -rf $(VENV) .localcloud functions/salonflow tests/rules/node_modules
