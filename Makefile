# The two set-up-and-go commands from the README. Each creates .venv on first use.
#   make run    executes the whole codealong on the embedded Kafka broker
#   make test   runs every test (the same command CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test doctor chromium
run: $(VENV)/.installed
	$(BIN)/codealong run

# The side suite (the workshop cluster, the offline install, the unsolved learner edition and the
# Python-only machine: own ports and folders) runs beside the main one to keep CI short;
# prefetch first, so the two never download the same jars at once. Its log is shown at the end.
test: $(VENV)/.installed chromium
	$(BIN)/codealong prefetch
	@$(BIN)/pytest tests/test_workshop.py tests/test_offline.py tests/test_learner_edition.py tests/test_python_only.py > .workshop-tests.log 2>&1 & workshop=$$!; \
	$(BIN)/pytest --ignore=tests/test_workshop.py --ignore=tests/test_offline.py --ignore=tests/test_learner_edition.py --ignore=tests/test_python_only.py; main=$$?; \
	wait $$workshop; side=$$?; \
	echo "==== side suite: workshop, offline install, learner edition, Python only (ran in parallel) ===="; grep -v '^%' .workshop-tests.log | tail -n 40; \
	[ $$main -eq 0 ] && [ $$side -eq 0 ]

# The browser test drives Debian's Chromium. Installed here when missing and allowed (root with
# apt-get, as in CI); elsewhere that one test is skipped and says how to install it.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ -n "$$CODEALONG_CHROMIUM" ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    echo "Installing Debian's chromium for the browser test ..." && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
	  echo "Chromium is not installed and could not be installed here: the browser test will be skipped."

doctor: $(VENV)/.installed
	$(BIN)/codealong doctor

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "Python 3.10 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Install it, or run make PYTHON=python3.12."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@
