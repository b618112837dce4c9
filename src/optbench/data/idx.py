"""Reader for the IDX format that MNIST and Fashion-MNIST ship in (raw or gzip-compressed).

Layout (all integers big-endian), from http://yann.lecun.com/exdb/mnist/:

    bytes 0-1   0x00 0x00
    byte  2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions D
    4*D bytes   size of each dimension (uint32)
    payload     prod(sizes) values, row-major

Every way a file can be broken (not IDX, truncated gzip, short or over-long payload) is a
`DataError` that names the file and says how to fix it; nothing else escapes.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path

import numpy as np

from optbench.core.errors import DataError
from optbench.data.inflated import cached_inflation, keep_inflation

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
MAX_BYTES = 1 << 30  # refuse to inflate more than 1 GiB (MNIST's largest file is 47 MB)

_FIX = "Replace it with an intact copy (delete it so it is downloaded again, or pass --data-path)."


def load_idx(
    path: Path | str, *, max_bytes: int = MAX_BYTES, inflated: Path | None = None
) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw, detected by content) into a native-endian array.

    `inflated`: a folder where the inflated contents of a gzip file are kept for later reads
    (data/inflated.py); the array is the same either way.

    >>> load_idx("train-labels-idx1-ubyte.gz").shape  # doctest: +SKIP
    (60000,)
    """
    path = Path(path)
    data = _read_bytes(path, max_bytes, inflated)
    dtype, dims, offset = _parse_header(path, data)
    expected = math.prod(dims) * dtype.itemsize
    actual = len(data) - offset
    if math.prod(d for d in dims if d) * dtype.itemsize > max_bytes:  # 0 x 10^9 x 10^9
        shape = "x".join(map(str, dims))
        raise DataError(f"IDX file '{path}' has a header promising a {shape} array: {_FIX}")
    if actual != expected:
        shape = "x".join(map(str, dims))
        problem = "is truncated" if actual < expected else "has trailing bytes"
        raise DataError(
            f"IDX file '{path}' {problem}: its header promises a {shape} array of "
            f"{dtype.name} ({expected} payload bytes) but it holds {actual}. {_FIX}"
        )
    array = np.frombuffer(data, dtype=dtype, count=math.prod(dims), offset=offset)
    if isinstance(data, memoryview) and not data.readonly and dtype.itemsize == 1:
        return array.reshape(dims)  # already writable, and one byte has no byte order
    return array.reshape(dims).astype(dtype.newbyteorder("="), copy=True)


def _read_bytes(path: Path, max_bytes: int, inflated: Path | None = None) -> bytes | memoryview:
    """The file's bytes, inflated when it starts with the gzip magic number (writable, when
    they come from an inflated copy)."""
    try:
        with path.open("rb") as handle:
            gzipped = handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC
            kept = cached_inflation(path, inflated) if gzipped and inflated else None
            if kept is not None and len(kept) <= max_bytes:
                return memoryview(kept)
            handle.seek(0)
            raw = handle.read()
    except FileNotFoundError:
        raise DataError(f"IDX file '{path}' does not exist.") from None
    except OSError as exc:
        raise DataError(f"Cannot read IDX file '{path}': {exc.strerror or exc}.") from None
    if not gzipped:
        return raw
    try:
        data = _inflate(raw, max_bytes + 1)
    except (EOFError, zlib.error) as exc:
        reason = "it ends early" if isinstance(exc, EOFError) else str(exc)
        raise DataError(
            f"'{path}' is a damaged gzip file ({reason}); the download was probably cut "
            f"short. {_FIX}"
        ) from None
    if len(data) > max_bytes:
        raise DataError(f"'{path}' inflates to more than {max_bytes} bytes; refusing to read it.")
    if inflated is not None:
        keep_inflation(path, data, inflated)
    return data


def _inflate(raw: bytes, limit: int) -> bytes:
    """gzip's members inflated, at most `limit` bytes (as GzipFile.read(limit) would give).

    Each member is inflated by one zlib call, which releases the interpreter lock throughout
    (GzipFile inflates in small chunks and takes the lock back between them). Like GzipFile,
    zero bytes after a member are padding; a missing end is an EOFError, a bad checksum a
    zlib.error.
    """
    parts: list[bytes] = []
    size = 0
    while raw:
        member = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer, checked
        part = member.decompress(raw, limit - size)
        parts.append(part)
        size += len(part)
        if size >= limit:
            break
        if not member.eof:
            raise EOFError("the gzip stream ends early")
        raw = member.unused_data.lstrip(b"\0")
        if raw and not raw.startswith(GZIP_MAGIC):
            raise zlib.error("bytes after the gzip stream that are not another gzip member")
    return b"".join(parts)


def _parse_header(path: Path, data: bytes | memoryview) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, dims, payload offset) from the header, validated."""
    if len(data) < 4:
        raise DataError(f"'{path}' is not an IDX file: only {len(data)} bytes long. {_FIX}")
    zero, code, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00" or code not in IDX_DTYPES:
        raise DataError(
            f"'{path}' is not an IDX file: magic number 0x{data[:4].hex()} should be "
            f"0x0000 followed by a type code ({', '.join(f'0x{c:02x}' for c in IDX_DTYPES)}) "
            f"and the number of dimensions. {_FIX}"
        )
    if ndim == 0:
        raise DataError(f"IDX file '{path}' declares 0 dimensions; expected at least 1. {_FIX}")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise DataError(
            f"IDX file '{path}' is truncated inside its header ({len(data)} of {offset} "
            f"header bytes for {ndim} dimensions). {_FIX}"
        )
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return IDX_DTYPES[code], dims, offset
