"""The IDX file format of MNIST-like datasets, read with full validation.

IDX is a header (two zero bytes, a type code, a rank, then one big-endian uint32 per dimension)
followed by the raw array; the standard files are gzip-compressed.
"""
import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from ..common.checks import UserError

_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_MAX_IDX_RANK = 4


class DatasetError(UserError, ValueError):
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



def idx_header(array):
    """The IDX header of an unsigned-byte ``array``: what precedes its raw bytes in the file."""
    if array.dtype != np.uint8:
        raise ValueError("only uint8 arrays are written as IDX here, got %s" % array.dtype)
    return bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
