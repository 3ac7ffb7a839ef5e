"""Shared fixtures: tiny networks and data so every test runs in seconds on a 2-core CPU."""
import os

import numpy as np
import pytest

os.environ.setdefault("MXGAN_OFFLINE", "1")  # tests never touch the network
# Tests run tiny networks, for which OpenMP's thread wake-ups cost more than they save (a
# 300-step --dry-run: 49 s on 2 threads, 9 s on 1, 2 cores). Set before anything loads MXNet,
# so example subprocesses inherit it too.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import mxgan  # noqa: E402,F401  (before any test imports mxnet: it restores the numpy names MXNet needs)


@pytest.fixture(scope="session")
def real_u8():
    """A deterministic batch source: 64 uint8 'digits' (N, 1, 28, 28) with blobs of ink
    (read-only: every test shares it)."""
    rng = np.random.RandomState(0)
    images = np.zeros((64, 1, 28, 28), np.uint8)
    for image in images:
        top, left = rng.randint(4, 16, size=2)
        image[0, top:top + 10, left:left + 6] = 255
    images.flags.writeable = False
    return images


@pytest.fixture(scope="session")
def scorer():
    """The MNIST scorer's classifier, trained once into the data directory's cache (about 30 s
    on one thread the first time) and shared by every test that scores."""
    from mxgan.quality.classifier import (
        load_classifier,  # after OMP_NUM_THREADS is set above
    )
    return load_classifier("mnist")


@pytest.fixture(scope="module")
def digits():
    """1,000 real held-out digits in [-1, 1] and their labels."""
    from mxgan.data import sources
    from mxgan.data.images import to_unit_range
    images, labels = sources.load_dataset("mnist", "test")
    return to_unit_range(images[-1000:]), labels[-1000:]
