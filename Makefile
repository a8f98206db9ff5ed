# The two set-up-and-go commands of the README. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint clean

# Create the virtual environment and install the project with its dev extra.
# Reinstalls only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Train the default model (bundled digits) only when the store has no active version, then serve.
run: $(STAMP)
	$(BIN)/mlp-train --if-no-active
	exec $(BIN)/gunicorn -c service/gunicorn.conf.py 'service:create_app()'

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
