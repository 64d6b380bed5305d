# Two commands do all the set-up: `make test` and `make demo`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
TORCH  ?= torch==2.13.0

.PHONY: test test-fast lint demo bench clean
DEMO_OUT ?= demo_out

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH) -e ".[test]"
	touch $@

lint: $(VENV)/.installed
	$(PY) -m ruff check hdnet tests benchmarks
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q $(PYTEST_ARGS)

# the tests not marked slow (no subprocesses, demos, ResNet-50 or benchmark runs): under a minute
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

$(VENV)/.installed-plot: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test,plot]"
	touch $@

demo: $(VENV)/.installed-plot
	$(PY) -m hdnet demo --out $(DEMO_OUT)

bench: $(VENV)/.installed
	$(PY) -m hdnet bench layers

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info $(DEMO_OUT)
