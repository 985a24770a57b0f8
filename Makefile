# Two commands do all the set-up (see README.md):
#   make run    install trialgraph, build data/ into the embedded store, validate, write the view
#               (exit 0 when data/ is sound, whatever else the store holds: validate --scope)
#   make test   install the test extras, Chromium and the Oxigraph server, then run the tests

PYTHON ?= python3
VENV   ?= .venv
STORE  ?= .trialgraph/store
DATA   ?= data/
VIEW   ?= trialgraph.html
BIN     = $(VENV)/bin
APT_GET = $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)

.PHONY: run test install install-test chromium lint bench clean

run: install
	$(BIN)/trialgraph build $(DATA) --store $(STORE) --view --view-output $(VIEW)
	$(BIN)/trialgraph validate --store $(STORE) --scope $(DATA)

test: install-test chromium
	$(BIN)/python -m pytest

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium >/dev/null; }
	@chromium --version

lint: install-test
	$(BIN)/ruff check graph tests bench
	$(BIN)/ruff format --check graph tests bench
	$(BIN)/mypy

bench: install-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .trialgraph $(VIEW) build *.egg-info
