"""Download one file from a list of mirrors into a cache folder, verified by SHA-256 (or, for
a file whose publisher states only its size, by that exact size: `fetch_by_size`).

The cache only ever holds complete, verified files: a download streams into a hidden temp
file next to its target, is checked against the pinned SHA-256 (or size), and is renamed into
place atomically; every failure path removes the temp file. A file already in the cache is
re-hashed before use (cheap next to training) and removed when it does not match.

Only HTTPS is fetched, except plain HTTP to a loopback host (127.0.0.1, localhost, ::1),
which is what tests serve from. Redirects are held to the same rule.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from optbench.core.errors import ConfigError, DataError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_TIMEOUT = 30.0  # seconds to connect, and to wait for each chunk
MAX_DOWNLOAD_BYTES = 1 << 30
CHUNK_BYTES = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DownloadError(DataError):
    """Every mirror failed for one file; `failures` holds (url, reason) per mirror tried."""

    def __init__(
        self, filename: str, target: Path, sha256: str, failures: list[tuple[str, str]]
    ) -> None:
        self.filename = filename
        self.target = target
        self.sha256 = sha256
        self.failures = failures
        lines = "\n".join(f"  - {url}: {reason}" for url, reason in failures)
        super().__init__(
            f"Could not download '{filename}' from any of {len(failures)} mirror(s):\n{lines}\n"
            f"No partial file was left in {target.parent}.\n"
            + offline_advice(target.parent, [[(failures[0][0], sha256)]])
        )

    def __reduce__(self) -> tuple[type, tuple[str, Path, str, list[tuple[str, str]]]]:
        # rebuilt from its fields, so it survives pickling across worker processes
        return (type(self), (self.filename, self.target, self.sha256, self.failures))


class _MirrorFailure(Exception):
    """One mirror could not deliver the file; the next one is tried."""


def offline_advice(folder: Path, choices: Sequence[Sequence[tuple[str, str]]]) -> str:
    """What to do when the network will not help: the same text for a file or a dataset.

    `choices` lists alternative file sets (e.g. four IDX files, or one npz), each as
    (url, sha256) pairs; any one complete set is enough.
    """
    sets = [
        "\n".join(f"      {url}  ({_expected(sha)})" for url, sha in files) for files in choices
    ]
    wanted = "\n    or\n".join(sets) if sets else "      the dataset's files"
    return (
        "What to do instead (any one):\n"
        f"  - download by hand and save into {folder}/:\n{wanted}\n"
        "  - pass --data-path pointing at a copy you already have\n"
        "  - work offline: `--dataset digits` (ships with scikit-learn), or "
        "`apt-get install dataset-fashion-mnist` and `--dataset fashion-mnist`"
    )


def _expected(check: str) -> str:
    """`SHA-256 …` for a hash; a size check (`68606236 bytes`) as it is."""
    return f"SHA-256 {check}" if _SHA256.fullmatch(check) else check


def check_url(url: str) -> None:
    """Raise ConfigError unless `url` is https, or http to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise ConfigError(
        f"Refusing to download from '{url}': only https:// URLs are allowed (plain http only "
        f"to {', '.join(sorted(LOOPBACK_HOSTS))}). Use the https address of the mirror."
    )


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def verified_cached(filename: str, sha256: str, cache_dir: Path) -> Path | None:
    """The cached file if its SHA-256 matches; a mismatching file is deleted (it is corrupt)."""
    path = Path(cache_dir) / _check_filename(filename)
    if not path.is_file():
        return None
    if sha256_of(path) == _check_sha256(sha256):
        return path
    path.unlink(missing_ok=True)
    return None


def fetch(
    filename: str,
    urls: Sequence[str],
    sha256: str,
    cache_dir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> tuple[Path, str | None]:
    """`cache_dir/filename`, verified, and the URL it came from (None: it was already cached),
    downloaded from the first mirror that delivers it.

    Raises ConfigError for a URL that is not https (or loopback http), and one DownloadError
    (a DataError) listing every mirror's failure when none delivers the right bytes.
    """
    sha256 = _check_sha256(sha256)
    _check_urls(filename, urls)
    hit = verified_cached(filename, sha256, cache_dir)
    if hit is not None:
        return hit, None

    def matches(size: int, digest: str) -> str | None:
        return None if digest == sha256 else f"SHA-256 mismatch: got {digest}, expected {sha256}"

    return _first_mirror(filename, urls, matches, cache_dir, timeout, max_bytes, sha256)


def fetch_by_size(
    filename: str,
    urls: Sequence[str],
    size: int,
    cache_dir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[Path, str]:
    """`cache_dir/filename` from the first mirror that delivers exactly `size` bytes, and the
    SHA-256 of what it delivered.

    For a file whose publisher states its size but no hash: the caller checks the content
    (e.g. an archive's structure) and records the hash for every later use. Anything longer
    than `size` is cut off as soon as it is; anything shorter fails that mirror.
    """
    _check_urls(filename, urls)

    def exact(received: int, digest: str) -> str | None:
        return None if received == size else f"{received} bytes, expected exactly {size}"

    path, _ = _first_mirror(filename, urls, exact, cache_dir, timeout, size, f"{size} bytes")
    return path, sha256_of(path)


def _check_urls(filename: str, urls: Sequence[str]) -> None:
    if not urls:
        raise ConfigError(f"No mirror given for '{filename}'.")
    for url in urls:
        check_url(url)


Verify = Callable[[int, str], "str | None"]  # (bytes received, SHA-256) → why it is wrong


def _first_mirror(
    filename: str,
    urls: Sequence[str],
    verify: Verify,
    cache_dir: Path,
    timeout: float,
    max_bytes: int,
    expected: str,
) -> tuple[Path, str]:
    """Try each mirror in turn; the file from the first one whose bytes `verify` accepts."""
    target = Path(cache_dir) / _check_filename(filename)
    target.parent.mkdir(parents=True, exist_ok=True)
    failures: list[tuple[str, str]] = []
    for url in urls:
        try:
            _download(url, target, verify, timeout, max_bytes)
            return target, url
        except _MirrorFailure as exc:
            failures.append((url, str(exc)))
    raise DownloadError(filename, target, expected, failures)


def _download(url: str, target: Path, verify: Verify, timeout: float, max_bytes: int) -> None:
    """Stream `url` into a temp file beside `target`, verify, rename; never leave the temp."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest, received = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(url, timeout, max_bytes):
                digest.update(chunk)
                received += len(chunk)
                out.write(chunk)
        problem = verify(received, digest.hexdigest())
        if problem:
            raise _MirrorFailure(problem)
        tmp.chmod(0o644)  # mkstemp makes it private; a cache is shared data
        os.replace(tmp, target)
    except OSError as exc:  # writing the cache failed: no other mirror will fix that
        raise DataError(f"Cannot write into the cache folder {target.parent}: {exc}.") from None
    finally:
        tmp.unlink(missing_ok=True)


def _chunks(url: str, timeout: float, max_bytes: int) -> Iterator[bytes]:
    """The response body in chunks; every network problem becomes a _MirrorFailure."""
    try:
        with _opener(url).open(_request(url), timeout=timeout) as response:
            declared = _content_length(response, max_bytes)
            received = 0
            while chunk := response.read(CHUNK_BYTES):
                received += len(chunk)
                if received > max_bytes:
                    raise _MirrorFailure(f"response is larger than {max_bytes} bytes")
                yield chunk
            if declared is not None and received != declared:
                raise _MirrorFailure(
                    f"connection closed after {received} of {declared} bytes (truncated)"
                )
    except urllib.error.HTTPError as exc:
        raise _MirrorFailure(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _MirrorFailure(_reason(exc.reason, timeout)) from None
    except (http.client.HTTPException, OSError) as exc:
        raise _MirrorFailure(_reason(exc, timeout)) from None


def _reason(exc: object, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, http.client.IncompleteRead):
        return "connection closed before the whole file arrived (truncated)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _content_length(response: http.client.HTTPResponse, max_bytes: int) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    declared = int(value)
    if declared > max_bytes:
        raise _MirrorFailure(f"file is {declared} bytes, more than the {max_bytes}-byte limit")
    return declared


def _request(url: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"User-Agent": "optbench"})


def _opener(url: str) -> urllib.request.OpenerDirector:
    """An opener whose redirects obey check_url; loopback requests bypass any proxy."""
    handlers: list[urllib.request.BaseHandler] = [_CheckedRedirect()]
    if urlsplit(url).hostname in LOOPBACK_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


class _CheckedRedirect(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to https, or to loopback http from a loopback URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        came_from_loopback = urlsplit(req.full_url).hostname in LOOPBACK_HOSTS
        target = urlsplit(newurl)
        if target.hostname in LOOPBACK_HOSTS:
            allowed = came_from_loopback and target.scheme in {"http", "https"}
        else:
            allowed = target.scheme == "https" and bool(target.hostname)
        if not allowed:
            fp.close()
            raise _MirrorFailure(f"refused redirect to '{newurl}' (only https is allowed)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_filename(filename: str) -> str:
    if not filename or filename in {".", ".."} or "/" in filename or "\\" in filename:
        raise ConfigError(f"Download file name must be a plain file name. Received: {filename!r}")
    return filename


def _check_sha256(sha256: str) -> str:
    value = sha256.strip().lower()
    if not _SHA256.fullmatch(value):
        raise ConfigError(f"sha256 must be 64 hex digits. Received: sha256={sha256!r}")
    return value
