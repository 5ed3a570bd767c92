# Herald — every target sets up what it needs (a virtualenv in .venv/) by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins dozens of dependencies of its own: it gets its own virtualenv, so that they
# can't change what the project runs with. Bumping the version reinstalls it.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV    := .venv-checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

.PHONY: demo serve test lint checkov bench screenshots clean

$(STAMP): pyproject.toml layers/herald/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) (first run only)…"
	@$(BIN)/pip install --quiet --upgrade pip >/dev/null
	@$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(CHECKOV_STAMP):
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@echo "setting up $(CHECKOV_VENV) (first run only)…"
	@$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip >/dev/null
	@$(CHECKOV_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	@touch $(CHECKOV_STAMP)

demo: $(STAMP)                 ## decide + send the sample events on an embedded AWS (moto)
	$(BIN)/herald local demo

serve: $(STAMP)                ## the local stack, kept running: API on :3000, AWS on :4566
	$(BIN)/herald local serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/herald rules validate rules/

checkov: $(CHECKOV_STAMP)      ## security scan of template.yaml (.checkov.yaml: the skipped checks and why)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

test: lint checkov             ## lint, template checks, and the whole test suite
	@command -v chromium >/dev/null 2>&1 || test -x "$${HERALD_CHROMIUM:-/usr/bin/chromium}" || \
	  echo "!!! Chromium not found: the console's browser tests will be SKIPPED (apt-get install -y chromium)"
	$(BIN)/pytest

bench: $(STAMP)                ## performance figures -> bench/results.json
	$(BIN)/python bench/run.py

screenshots: $(STAMP)          ## docs/console-*.png: the console's main pages (needs Chromium)
	$(BIN)/python -m herald_dev.console_shots docs

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache .aws-sam
