# NeuroCore Studio — set-up, tests and benchmarks.  Every target is idempotent.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PEERS := .venv-peers
EXAMPLE := resources/examples/cuba.ncsproj
SOURCES := pyproject.toml setup.py $(wildcard ext/*.pyx ext/*.pxd ext/*.h)

.PHONY: install studio test bench peers package clean

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

# With no display, say so and run the headless equivalent instead of the window.
studio: install
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ -n "$$QT_QPA_PLATFORM" ]; then \
		$(VENV)/bin/ncstudio $(EXAMPLE); \
	else \
		echo "No display found, so the studio window cannot open here."; \
		echo "Headless equivalent: $(VENV)/bin/ncstudio run $(EXAMPLE) --duration 1s --json"; \
		$(VENV)/bin/ncstudio run $(EXAMPLE) --duration 1s --json; \
	fi

# The peers (NEST, Brian2) live in their own environment; tests that compare against them use it.  The suite
# runs on every core (pytest-xdist; a worker that runs out of tests takes some of another's) and names its
# slowest tests at the end.  TEST_ARGS adds to it, e.g. `make test TEST_ARGS="-n 0 tests/engine"`.
test: $(VENV)/.installed-dev peers
	QT_QPA_PLATFORM=offscreen NCS_PEERS_PYTHON=$(CURDIR)/$(PEERS)/bin/python $(PY) -m pytest -q -p no:cacheprovider \
		-n auto --dist worksteal --durations 25 $(TEST_ARGS)

# brian2 2.9 calls ndarray.ptp, removed in NumPy 2.3.  PyNN runs the exported PyNN scripts on NEST (its
# NEST extensions are not built; the standard models do not need them).  The stamp is written only
# after pip succeeds, so an interrupted install is retried; its name changes when the list does.
$(PEERS)/.installed-pynn:
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --disable-pip-version-check 'nest-simulator>=3.6' 'brian2>=2.7' 'numpy<2.3' \
		'PyNN>=0.12'
	touch $@

peers: $(PEERS)/.installed-pynn

# Ours, Brian2 and NEST side by side, e.g. `make bench BENCH_ARGS="--only cuba --repeat 5"`.
bench: install peers
	$(PY) benchmarks/run_all.py --peers-python $(PEERS)/bin/python $(BENCH_ARGS)

# The one-folder desktop bundle (PyInstaller): $(PACKAGE_DIST)/ncstudio/ncstudio; packaging/README.md.
PACKAGE_DIST ?= dist
PACKAGE_WORK ?= build/pyinstaller
package: $(VENV)/.installed-dev
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath $(PACKAGE_DIST) --workpath $(PACKAGE_WORK) \
		packaging/ncstudio.spec

clean:
	rm -rf build dist ext/*.c ext/*.so *.egg-info
