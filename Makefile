# Two entry points (see README): `make run` and `make test`. Both set themselves up.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test system-deps

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/itad db upgrade
	$(BIN)/itad demo
	$(BIN)/itad run --host $(HOST) --port $(PORT)

system-deps:
	scripts/system-deps

test: $(VENV)/.installed system-deps
	$(BIN)/python -m pytest
