# The two set-up-and-go commands from the README. Each creates .venv on first use.
#   make run    executes the whole codealong on the embedded Kafka broker
#   make test   runs every test (the same command CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test doctor
run: $(VENV)/.installed
	$(BIN)/codealong run

test: $(VENV)/.installed
	$(BIN)/pytest

doctor: $(VENV)/.installed
	$(BIN)/codealong doctor

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "Python 3.10 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Install it, or run make PYTHON=python3.12."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@
