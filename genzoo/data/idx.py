"""IDX files, the format of MNIST and Fashion-MNIST, plain or gzipped.

Format (LeCun, Cortes & Burges, http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code,
the number of dimensions, then each dimension as a big-endian uint32, then the values, big-endian.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

from genzoo.errors import GenzooError

GZIP_MAGIC = b"\x1f\x8b"

# type code -> big-endian numpy dtype, as listed in the format's description
IDX_DTYPES: dict[int, np.dtype] = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
                                   0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def decompress(raw: bytes, source: str | Path) -> bytes:
    """``raw`` gunzipped when it starts with the gzip magic bytes, else unchanged."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise GenzooError(f"{source} is a truncated or corrupt gzip file ({err}): "
                          "delete or replace it, then run again") from None


def parse_idx(content: bytes, source: str | Path) -> np.ndarray:
    """The array held by the (decompressed) bytes of an IDX file, in native byte order.

    A uint8 file gives a read-only view of ``content``; other types give a copy.
    """
    if len(content) < 4 or content[:2] != b"\x00\x00":
        raise GenzooError(f"{source} is not an IDX file (bad magic number): "
                          "expected an MNIST-style file such as train-images-idx3-ubyte[.gz]")
    code, ndim = content[2], content[3]
    if code not in IDX_DTYPES:
        raise GenzooError(f"{source} has unknown IDX type code 0x{code:02X}: "
                          "expected one of " + ", ".join(f"0x{c:02X}" for c in IDX_DTYPES))
    header = 4 + 4 * ndim
    if len(content) < header:
        raise GenzooError(f"{source} is truncated inside its header: delete or replace it, then run again")
    shape = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(content) != expected:
        problem = "is truncated" if len(content) < expected else "has trailing bytes"
        raise GenzooError(f"{source} {problem}: its shape {shape} calls for {expected} bytes but it holds "
                          f"{len(content)}; delete or replace it, then run again")
    array = np.frombuffer(content, dtype=dtype, offset=header).reshape(shape)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def read_idx_and_sha256(path: str | Path) -> tuple[np.ndarray, str]:
    """The array in an IDX file and the SHA-256 of its decompressed bytes, from a single read."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise GenzooError(f"cannot read {path}: {err.strerror}") from None
    content = decompress(raw, path)
    return parse_idx(content, path), hashlib.sha256(content).hexdigest()


def read_idx(path: str | Path) -> np.ndarray:
    """The array in an IDX file, gzipped or not (told by its first bytes, not its name)."""
    return read_idx_and_sha256(path)[0]


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise GenzooError(f"cannot write {array.dtype} to {path}: IDX holds uint8, int8, int16, int32, "
                          "float32 or float64")
    code = codes[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    content = header + array.astype(IDX_DTYPES[code], copy=False).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(content, mtime=0) if path.name.endswith(".gz") else content)
