"""Writing IDX files for tests: the format `mxgan.data.idx` reads, and a fake labelled split."""
import gzip
import struct

import numpy as np

IDX_TYPE_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype("i2"): 0x0B,
                  np.dtype("i4"): 0x0C, np.dtype("f4"): 0x0D, np.dtype("f8"): 0x0E}


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

