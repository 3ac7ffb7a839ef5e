"""mxgan.data.images: the [-1, 1] scale, resizing and the cache of resized sets."""
from mxgan.data import images as images_module
from mxgan.data import sources
from mxgan.data.images import prepare_images, resize_images, to_unit_range

import numpy as np
import pytest

from idx_files import fake_split, write_split


def test_to_unit_range_on_real_digits():
    images, _ = sources.load_dataset("mnist", "test")
    scaled = to_unit_range(images)
    assert scaled.dtype == np.float32 and scaled.shape == images.shape
    assert scaled.min() == -1.0 and scaled.max() == 1.0


def test_to_unit_range_rejects_floats():
    with pytest.raises(TypeError, match="uint8"):
        to_unit_range(np.zeros(3, dtype=np.float32))


def test_resize_images():
    images, _ = fake_split(count=3)
    resized = resize_images(images, 64)
    assert resized.shape == (3, 64, 64) and resized.dtype == np.uint8
    assert resize_images(images, 28) is images


def test_prepare_images_caches_resized_set(tmp_path, monkeypatch):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels)
    first, first_labels = prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    assert first.shape == (20, 1, 32, 32) and first.dtype == np.uint8
    assert len(list((tmp_path / "cache").glob("kmnist-train-32px-n20-*.npy"))) == 1

    def must_not_resize(*args):
        raise AssertionError("resize_images called although the cache is valid")

    monkeypatch.setattr(images_module, "resize_images", must_not_resize)
    second, second_labels = prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(second_labels, first_labels)


def test_prepare_images_rebuilds_corrupt_cache(tmp_path):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels)
    first, _ = prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    (cache_file,) = (tmp_path / "cache").iterdir()
    cache_file.write_bytes(b"garbage")
    again, _ = prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    np.testing.assert_array_equal(again, first)
    assert np.load(cache_file).shape == (20, 32, 32)


def test_prepare_images_native_size_skips_cache(tmp_path):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels)
    prepared, _ = prepare_images("kmnist", data_dir=tmp_path, offline=True)
    np.testing.assert_array_equal(prepared[:, 0], images)
    assert not (tmp_path / "cache").exists()
