# Two commands: `make generate` (the main job) and `make test` (the whole suite).
# Each creates .venv on first use with only python3 and the package registries.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: generate check test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

generate: $(STAMP)
	$(VENV)/bin/nodegen generate

check: $(STAMP)
	$(VENV)/bin/nodegen check

test: $(STAMP)
	$(VENV)/bin/python -m pytest

clean:
	rm -rf $(VENV) .nodegen-cache .pytest_cache .mypy_cache
