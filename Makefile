# Two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test docs bench screenshots clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m toolkit summarize data/sample/
	mkdir -p build
	$(PY) -m toolkit report data/sample/ --out build/postmortem.html

test: $(VENV)/.installed-dev
	$(PY) -m pytest

# the documentation site, its pages and notebooks executed on the sample; any warning fails the build
docs: $(VENV)/.installed-dev
	$(PY) -m sphinx -W --keep-going -q -b html docs build/docs
	@echo "the documentation is in build/docs/index.html"

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/bench_load.py
	$(PY) benchmarks/bench_engines.py
	$(PY) benchmarks/bench_explorer.py

# the documentation's screenshots of the explorer and the report, taken by the browser tests
screenshots: $(VENV)/.installed-dev
	TOOLKIT_SCREENSHOTS=docs $(PY) -m pytest -m browser tests/test_browser.py

clean:
	rm -rf $(VENV) build *.egg-info
