"""Image preparation: uint8 pixels to [-1, 1], resizing, and a disk cache of resized sets.

Images stay uint8 up to the iterator: the trainer converts them to float per batch, on the
device, instead of holding a float copy of the whole set.
"""
import hashlib
import logging
import operator

import cv2
import numpy as np

from ..common.files import atomic_writer
from .sources import IMAGE_SIZE, data_root, load_dataset

_log = logging.getLogger(__name__)


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
        cache_file = _cache_path(data_root(data_dir) / "cache", name, split, size, images)
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
        with atomic_writer(cache_file) as out:
            np.save(out, array, allow_pickle=False)
    except OSError as err:
        _log.warning("cannot cache resized images in %s (%s)", cache_file, err)
    else:
        _log.info("cached resized images in %s", cache_file)
