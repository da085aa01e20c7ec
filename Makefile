# Everything a fresh machine (Python 3.11+, pip, git, make) needs: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## Audit Acme Corp's simulated account (moto, in-process) into awsaudit-output/demo-<time>/
demo: $(STAMP)
	$(BIN)/awsaudit demo

## Lint, type-check and run the whole test suite (what CI runs)
test: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/pytest -q

## Re-pin every dependency after changing pyproject.toml (needs the registry)
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet --upgrade pip
	.lockvenv/bin/pip install --quiet -e '.[demo,dask]' -r requirements-dev.txt
	.lockvenv/bin/pip freeze --all --exclude-editable | grep -vE '^(-e|pip==)' > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) awsaudit-output .mypy_cache .ruff_cache .pytest_cache
