# NeuroCore Studio — set-up, tests and benchmarks.  Every target is idempotent.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PEERS := .venv-peers
EXAMPLE := resources/examples/lif.ncsmodel
SOURCES := pyproject.toml setup.py $(wildcard ext/*.pyx ext/*.pxd)

.PHONY: install studio test bench peers clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

$(VENV)/.installed-app: $(PY) $(SOURCES)
	$(PIP) install -e '.[gui]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-app
	$(PIP) install -e '.[dev]'
	touch $@

install: $(VENV)/.installed-app

studio: install
	$(VENV)/bin/ncstudio $(EXAMPLE)

test: $(VENV)/.installed-dev
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

$(PEERS)/bin/python:
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --disable-pip-version-check 'nest-simulator>=3.6' 'brian2>=2.7' 'numpy<2.3'

peers: $(PEERS)/bin/python

bench: install peers
	$(PY) benchmarks/run_all.py --peers-python $(PEERS)/bin/python

clean:
	rm -rf build ext/*.c ext/*.so *.egg-info
