# Two entry points for a fresh machine: `make reproduce` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: reproduce test install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"

reproduce: install
	$(BIN)/casecode reproduce

test: install-test
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) outputs/2015 build src/*.egg-info
