"""Helpers for the data tests: generated IDX/npz files and a loopback HTTP server.

The IDX writer here is written from the format description, independently of the reader
under test, so a round trip checks the reader against the spec rather than against itself.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from optbench.data import RemoteFile, RemoteSource

IDX_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def idx_bytes(array: np.ndarray, *, gz: bool = False) -> bytes:
    """Encode `array` as an IDX file: 0x0000, type code, ndim, big-endian dims, payload."""
    code = IDX_CODES[array.dtype.str[1:]]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    return gzip.compress(data, mtime=0) if gz else data


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mnist_arrays(seed: int = 0, n_train: int = 30, n_test: int = 12) -> dict[str, np.ndarray]:
    """Small random MNIST-shaped data: uint8 28x28 images, uint8 labels cycling 0..9."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


def mnist_idx_files(arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    """filename -> gzipped IDX bytes, named like the real MNIST files."""
    return {f"{IDX_NAMES[role]}.gz": idx_bytes(a, gz=True) for role, a in arrays.items()}


@dataclass
class Route:
    body: bytes
    mode: str = "ok"  # ok | cut (send half, then close) | slow | redirect
    location: str = ""


@dataclass
class Loopback:
    """A running loopback server: add routes, read `hits` (paths requested, in order)."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def add(self, path: str, body: bytes = b"", **kwargs: str) -> str:
        self.routes["/" + path] = Route(body, **kwargs)
        return self.base + path

    def source(
        self, prefix: str, files: dict[str, bytes], *, fmt: str = "idx", mirrors: int = 1
    ) -> RemoteSource:
        """Serve `files` under base/prefix/ and describe them as a RemoteSource."""
        for name, body in files.items():
            self.add(f"{prefix}/{name}", body)
        return RemoteSource(
            label=f"test {fmt} files",
            format=fmt,  # type: ignore[arg-type]
            mirrors=tuple(f"{self.base}{prefix}/" for _ in range(mirrors)),
            files=tuple(RemoteFile(n, sha256(b)) for n, b in files.items()),
        )


def _handler(state: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            if route.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", route.location)
                self.end_headers()
                return
            if route.mode == "slow":
                time.sleep(1.5)
            self.send_response(200)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            cut = len(route.body) // 2 if route.mode == "cut" else len(route.body)
            self.wfile.write(route.body[:cut])
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


def start_loopback() -> tuple[Loopback, ThreadingHTTPServer]:
    """An HTTP server on 127.0.0.1 (port chosen by the OS) in a background thread."""
    state = Loopback(base="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    server.block_on_close = False
    state.base = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return state, server
