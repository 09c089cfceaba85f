# Salon Flow: every target sets up what it needs from pinned versions.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# checkov lives in its own venv: its pinned dependency set (boto3, pydantic, ...) clashes with the app's.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: iac venv lint unit integration e2e test demo up token bench predeploy clean console browser

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

# The owner console (console/): npm packages pinned by its lock file, bundled into console/dist by esbuild.
CONSOLE_NODE := console/node_modules/.package-lock.json
CONSOLE_DIST := console/dist/app.js

$(CONSOLE_NODE): console/package.json console/package-lock.json
	npm ci --prefix console --no-audit --no-fund --loglevel=error
	touch $(CONSOLE_NODE)

$(CONSOLE_DIST): $(CONSOLE_NODE) console/build.mjs console/index.html $(wildcard console/src/*)
	npm run --silent build --prefix console

console: $(CONSOLE_DIST)

# Debian's Chromium for the browser tests (installed as root; nothing happens when it is already there).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium || \
	  (apt-get update && apt-get install -y --no-install-recommends chromium)

browser: $(CHROMIUM)

$(CHECKOV_STAMP): requirements-checkov.lock
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.lock
	touch $(CHECKOV_STAMP)

# No Terraform or OpenTofu binary at a current version is installable from PyPI, npm or Debian,
# so `terraform fmt -check` / `validate` do not run here (see terraform/README.md); checkov always does.
iac: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov -d terraform --quiet --compact --skip-download

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

unit: venv
	$(VENV)/bin/pytest tests/unit -q

integration: venv $(RULES_NODE)
	$(VENV)/bin/pytest tests/integration -q

e2e: venv console browser
	$(VENV)/bin/pytest tests/e2e -q

test: lint iac $(RULES_NODE) console browser
	$(VENV)/bin/pytest -q -p no:cacheprovider --durations=20

demo: venv
	$(PY) -m salonflow_demo

# make up DEMO=1 loads the demo salon; make token prints an owner token and a curl example.
up: venv console
	$(PY) -m salonflow_demo.up $(if $(DEMO),--demo) $(ARGS)

token: venv
	$(PY) -m salonflow_demo.token $(ARGS)

bench: venv console browser
	$(PY) bench/emulator.py
	$(PY) bench/cold_start.py
	$(PY) bench/agents_firestore_cost.py
	$(PY) bench/console_latency.py
	$(PY) bench/outcomes.py

# The same command firebase.json's predeploy runs (the Firebase CLI sets RESOURCE_DIR).
predeploy:
	RESOURCE_DIR=functions sh -c 'rm -rf "$$RESOURCE_DIR/salonflow" && cp -r "$$RESOURCE_DIR/../shared/salonflow" "$$RESOURCE_DIR/salonflow"' 

clean:
	rm -rf $(VENV) .localcloud functions/salonflow tests/rules/node_modules console/node_modules console/dist
