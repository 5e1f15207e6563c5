# The front door: `make demo` and `make test` on a machine with only Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test docs bench lint clean

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

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

# six collection strategies on one seasoned book, on common random numbers: the result,
# the comparison table and the HTML report
demo: $(VENV)/.installed
	$(BIN)/creditsim run examples/strategy_comparison.toml --out results/demo.nc --report results/report --force
	$(BIN)/creditsim compare results/demo.nc --baseline in_house
	@echo "The report: $(CURDIR)/results/report/report.html"

# two worker processes: the suite is mostly compilation, which runs on one core at a time
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n 2

# the documentation site (mkdocs, material theme, API from the docstrings) into site/;
# any warning fails the build
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench_engine.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks examples

clean:
	rm -rf $(VENV) results site .pytest_cache .hypothesis
