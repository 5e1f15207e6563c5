# The front door: `make demo` and `make test` on a machine with only Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# one stamp per install flavour, redone when pyproject.toml changes
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python -m creditsim.demo --out results/demo.nc --figure results/demo_loss.png

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench_engine.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks examples

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
