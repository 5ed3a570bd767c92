# Herald — every target sets up what it needs (a virtualenv in .venv/) by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test lint bench clean

$(STAMP): pyproject.toml layers/herald/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) (first run only)…"
	@$(BIN)/pip install --quiet --upgrade pip >/dev/null
	@$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)                 ## decide + send the sample events on an embedded AWS (moto)
	$(BIN)/herald local demo

serve: $(STAMP)                ## the local stack, kept running: API on :3000, AWS on :4566
	$(BIN)/herald local serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/herald rules validate rules/

test: lint                     ## lint, template checks, and the whole test suite
	$(BIN)/pytest

bench: $(STAMP)                ## performance figures -> bench/results.json
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .aws-sam
