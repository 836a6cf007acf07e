# The two set-up commands of the README. PyTorch is pinned to the CPU build that pip finds on this
# kind of machine; an unpinned torch would pull a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
TORCH ?= torch==2.13.0

.PHONY: install dev demo lint test test-slow benchmarks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e .

dev: install
	$(BIN)/pip install --quiet -e ".[dev]"

demo: install
	$(BIN)/genzoo demo

# the linter and the type checker, clean; the generated docs (models.md, the README's model list and tables) current
lint: dev
	$(BIN)/ruff check genzoo tests benchmarks docs
	$(BIN)/mypy
	$(BIN)/python docs/generate_models.py --check
	$(BIN)/python -m benchmarks.table --check

test: lint
	$(BIN)/python -m pytest -q

# training-quality checks that train small models for real (minutes, not seconds)
test-slow: dev
	$(BIN)/python -m pytest -q -m slow

benchmarks: install
	$(BIN)/python -m benchmarks.run all
