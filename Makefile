# The two set-up commands of the README. PyTorch is pinned to the CPU build that pip finds on this
# kind of machine; an unpinned torch would pull a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
TORCH ?= torch==2.13.0

.PHONY: install dev demo test benchmarks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e .

dev: install
	$(BIN)/pip install --quiet -e ".[dev]"

demo: install
	$(BIN)/genzoo demo

test: dev
	$(BIN)/python -m pytest -q

benchmarks: install
	$(BIN)/python -m benchmarks.run all
