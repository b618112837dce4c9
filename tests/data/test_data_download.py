"""fetch(): mirrors in order, SHA-256 verified, atomic, nothing partial left behind.

Every test talks to a real HTTP server on 127.0.0.1 serving bytes the test made.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from datafiles import Loopback, sha256

from optbench.core.errors import ConfigError, DataError
from optbench.data import DownloadError, fetch

BODY = bytes(range(256)) * 300  # 76.8 kB: several chunks
SHA = sha256(BODY)


def test_good_file_is_cached_and_reused(loopback: Loopback, tmp_path: Path) -> None:
    url = loopback.add("f.bin", BODY)
    path, origin = fetch("f.bin", [url], SHA, tmp_path)
    assert origin == url
    assert path == tmp_path / "f.bin" and path.read_bytes() == BODY
    assert fetch("f.bin", [url], SHA, tmp_path) == (path, None)  # cached: no download
    assert loopback.hits == ["/f.bin"]  # the second call was served by the cache
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_uppercase_sha_is_accepted(loopback: Loopback, tmp_path: Path) -> None:
    assert fetch("f.bin", [loopback.add("f.bin", BODY)], SHA.upper(), tmp_path)[0].is_file()


def test_corrupt_cached_file_is_replaced(loopback: Loopback, tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"stale or damaged")
    path, _ = fetch("f.bin", [loopback.add("f.bin", BODY)], SHA, tmp_path)
    assert path.read_bytes() == BODY and loopback.hits == ["/f.bin"]


def test_first_mirror_fails_second_delivers(loopback: Loopback, tmp_path: Path) -> None:
    bad = loopback.add("a/f.bin", b"wrong bytes")
    good = loopback.add("b/f.bin", BODY)
    assert fetch("f.bin", [loopback.base + "missing/f.bin", bad, good], SHA, tmp_path)[1] == good
    assert loopback.hits == ["/missing/f.bin", "/a/f.bin", "/b/f.bin"]


FAILURES = {
    "wrong checksum": ({"body": b"other bytes"}, "SHA-256 mismatch"),
    "connection cut mid-body": ({"body": BODY, "mode": "cut"}, "truncated"),
    "http 404": (None, "HTTP 404"),
}


@pytest.mark.parametrize(("route", "reason"), FAILURES.values(), ids=FAILURES.keys())
def test_failure_is_one_clear_error_and_leaves_nothing(
    loopback: Loopback, tmp_path: Path, listing, route: dict | None, reason: str
) -> None:
    url = loopback.add("f.bin", **route) if route else loopback.base + "f.bin"
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match=reason) as info:
        fetch("f.bin", [url, url], SHA, cache)
    message = str(info.value)
    assert message.count(reason) == 2  # one line per mirror tried
    for advice in (str(cache), SHA, "--data-path", "--dataset digits", "dataset-fashion-mnist"):
        assert advice in message
    assert info.value.failures == [(url, info.value.failures[0][1])] * 2
    assert listing(cache) == []


def test_connection_refused(tmp_path: Path, listing) -> None:
    with pytest.raises(DownloadError, match="refused"):
        fetch("f.bin", ["http://127.0.0.1:9/f.bin"], SHA, tmp_path)
    assert listing(tmp_path) == []


def test_timeout(loopback: Loopback, tmp_path: Path, listing) -> None:
    url = loopback.add("f.bin", BODY, mode="slow")
    with pytest.raises(DownloadError, match="timed out"):
        fetch("f.bin", [url], SHA, tmp_path, timeout=0.2)
    assert listing(tmp_path) == []


def test_size_limit(loopback: Loopback, tmp_path: Path, listing) -> None:
    with pytest.raises(DownloadError, match="limit"):
        fetch("f.bin", [loopback.add("f.bin", BODY)], SHA, tmp_path, max_bytes=1000)
    assert listing(tmp_path) == []


@pytest.mark.parametrize(
    "url",
    ["http://example.com/f.bin", "ftp://example.com/f.bin", "file:///etc/passwd", "f.bin"],
)
def test_only_https_or_loopback_http(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="only https"):
        fetch("f.bin", [url], SHA, tmp_path)


def test_redirect_to_plain_http_is_refused(loopback: Loopback, tmp_path: Path, listing) -> None:
    url = loopback.add("f.bin", mode="redirect", location="http://example.com/f.bin")
    with pytest.raises(DownloadError, match="refused redirect"):
        fetch("f.bin", [url], SHA, tmp_path)
    assert listing(tmp_path) == []


def test_loopback_redirect_is_followed(loopback: Loopback, tmp_path: Path) -> None:
    target = loopback.add("real/f.bin", BODY)
    url = loopback.add("f.bin", mode="redirect", location=target)
    assert fetch("f.bin", [url], SHA, tmp_path)[0].read_bytes() == BODY


@pytest.mark.parametrize(
    ("filename", "sha", "message"),
    [("../f.bin", SHA, "plain file name"), ("f.bin", "abc", "64 hex digits")],
)
def test_bad_arguments(tmp_path: Path, filename: str, sha: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        fetch(filename, ["https://example.com/f.bin"], sha, tmp_path)


def test_download_error_is_a_data_error_and_pickles(tmp_path: Path) -> None:
    error = DownloadError("f.bin", tmp_path / "f.bin", SHA, [("https://a/f.bin", "HTTP 404")])
    assert isinstance(error, DataError)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.failures == error.failures
