# The two set-up-and-go commands from the README. Each creates .venv on first use.
#   make run    executes the whole codealong on the embedded Kafka broker
#   make test   runs every test (the same command CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: help run test doctor chromium site
.DEFAULT_GOAL := help

help:  # `make` alone says what it can do rather than start a long run
	@echo "make run     install everything and run the codealong end to end on the embedded broker"
	@echo "make test    install everything and run every test (what CI runs)"
	@echo "make site    build the course's website into build/site/ (from the stored outputs)"
	@echo "make doctor  check Python, Java, the ports and the broker, and print fixes"

run: $(VENV)/.installed
	$(BIN)/codealong run

# Three suites run side by side to keep CI short (each prints its ten slowest tests):
# - side: the workshop cluster and its browser hub, the offline install and its wheels for every
#   platform, and the Python-only machine (own ports and folders);
# - notebooks: nbval over every chapter, and the tests that run chapters with `codealong run`
#   (among them the solved run, then the untouched learner edition on the same broker; they
#   share the default broker's fixed topic names, so they run one after the other);
# - main: every other test (unique topic and group names on the default broker).
# The default broker and schema registry are started first so that the suites share them (none of
# them stops them; chapter 15's stored outputs are those of a registry already running), and
# prefetch runs first so that no two suites download the same jars at once.
SIDE_TESTS     := tests/test_workshop.py tests/test_offline.py tests/test_python_only.py tests/test_hub.py \
                  tests/test_prefetch_platforms.py
NOTEBOOK_TESTS := notebooks tests/test_notebooks.py
test: $(VENV)/.installed chromium
	$(BIN)/codealong prefetch
	$(BIN)/codealong broker start
	$(BIN)/codealong registry start
	@$(BIN)/pytest --durations=10 $(SIDE_TESTS) > .side-tests.log 2>&1 & side=$$!; \
	$(BIN)/pytest --durations=10 $(NOTEBOOK_TESTS) > .notebook-tests.log 2>&1 & notebooks=$$!; \
	$(BIN)/pytest --durations=10 tests $(addprefix --ignore=,$(SIDE_TESTS) tests/test_notebooks.py); main=$$?; \
	wait $$notebooks; nb=$$?; wait $$side; side=$$?; \
	echo "==== notebooks suite: nbval over every chapter, codealong run (ran in parallel) ===="; grep -v '^%' .notebook-tests.log | tail -n 40; \
	echo "==== side suite: workshop, hub, offline install, wheels per platform, Python only (ran in parallel) ===="; grep -v '^%' .side-tests.log | tail -n 40; \
	[ $$main -eq 0 ] && [ $$nb -eq 0 ] && [ $$side -eq 0 ]

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

# The course as a website, from the solved notebooks' stored outputs (nothing is executed):
# open build/site/index.html, or serve the folder.
site: $(VENV)/.installed
	$(BIN)/python -m helpers.course.site build/site

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "Python 3.10 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Install it, or run make PYTHON=python3.12."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,site,hub]'
	@touch $@
