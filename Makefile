# storemon developer commands. Everything runs inside .venv, created on demand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHECKOV_VENV ?= .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: install test test-fast bench hostile lint serve demo load build validate clean openapi

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Everything (what CI runs): lint, then every test, hypothesis with its `ci` profile.
test: lint
	HYPOTHESIS_PROFILE=ci $(BIN)/pytest -q -n 2 --dist worksteal

# While developing: lint, then every test not marked slow, hypothesis with its quick `dev` profile.
test-fast: lint
	HYPOTHESIS_PROFILE=dev $(BIN)/pytest -q -n 2 --dist worksteal -m "not slow"

bench: install
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/page_bench.py
	$(BIN)/python bench/alerts_bench.py
	$(BIN)/python bench/history_bench.py
	$(BIN)/python bench/shards_bench.py

# storemon report on each hostile input file of issue 8: exit code, message, time, peak RSS
hostile: install
	$(BIN)/python bench/hostile.py

lint: install $(CHECKOV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/check_function_length.py --max 60 --max-module-lines 500
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/check_handler_imports.py
	@test $$(wc -l < README.md) -le 300 || { echo "README.md: $$(wc -l < README.md) lines, at most 300 (move details to docs/)"; exit 1; }
	$(CHECKOV) -f template.yaml --framework cloudformation --skip-download --compact --quiet

# checkov in a venv of its own: it pins boto3/botocore 1.35 and packaging 23.2, which would
# downgrade the project's (boto3 1.44). Every finding it still reports fails `make lint`; the
# accepted ones are suppressed in template.yaml (Metadata: checkov: skip) with their reason.
$(CHECKOV):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov>=3.2,<4"

serve: install
	$(BIN)/storemon serve

demo: install
	$(BIN)/python -m storemon_dev.local.demo

# a bounded burst on loopback: 1,000 mixed requests from 50 clients, then it stops by itself
load: install
	$(BIN)/python -m storemon_dev.local.load
openapi: install
	$(BIN)/python -m storemon_dev.openapi > docs/openapi.json

validate: install
	$(BIN)/sam validate --lint

build: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
