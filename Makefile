# The two set-up-and-go commands of the README. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Serving needs the runtime set only; the tests need the dev extra (playwright, schemathesis...).
# Each reinstalls only when pyproject.toml changes.
$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

# Train the default model (bundled digits) only when the store has no active version, then serve.
run: $(RUNTIME_STAMP)
	$(BIN)/mlp-train --if-no-active
	exec $(BIN)/gunicorn -c service/gunicorn.conf.py 'service:create_app()'

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
