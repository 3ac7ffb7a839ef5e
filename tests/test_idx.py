"""mxgan.data.idx: IDX files round-trip, and every kind of damage is a DatasetError naming it."""
import gzip
import struct

from mxgan.data.idx import DatasetError, read_idx

import numpy as np
import pytest

from idx_files import idx_bytes, write_file


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-1.5, 0.25, 3e9], dtype=np.float32),
    np.array([[-(2 ** 31), 7], [2 ** 31 - 1, 0]], dtype=np.int32),
    np.array([-300, 300], dtype=np.int16),
], ids=["uint8", "float32", "int32", "int16"])
def test_read_idx_round_trip(tmp_path, array, suffix):
    path = write_file(tmp_path / f"x.idx{suffix}", idx_bytes(array))
    loaded = read_idx(path)
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
    with pytest.raises(DatasetError, match=message) as error:
        read_idx(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("payload", [gzip.compress(GOOD)[:-12], b"not gzip at all"],
                         ids=["cut-short", "not-gzip"])
def test_read_idx_rejects_corrupt_gzip(tmp_path, payload):
    path = tmp_path / "bad.idx.gz"
    path.write_bytes(payload)
    with pytest.raises(DatasetError, match="corrupt gzip"):
        read_idx(path)


def test_read_idx_reports_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="cannot read"):
        read_idx(tmp_path / "absent.idx")
