"""Safe zip extraction: hostile entries are refused and nothing is written anywhere."""

import io
import stat
import zipfile
from pathlib import Path

import pytest

from optbench.core.errors import DataError
from optbench.data import extract_zip


def make_zip(
    path: Path,
    entries: dict[str, bytes],
    *,
    links: dict[str, str] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def everything(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_extracts_a_tree_atomically(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"top/train/cats/1.txt": b"one", "top/empty/": b""})
    target = extract_zip(archive, tmp_path / "out" / "x")
    assert (target / "top" / "train" / "cats" / "1.txt").read_bytes() == b"one"
    assert (target / "top" / "empty").is_dir()
    assert everything(tmp_path / "out") == [
        "x",
        "x/top",
        "x/top/empty",
        "x/top/train",
        "x/top/train/cats",
        "x/top/train/cats/1.txt",
    ]  # no temporary folder left behind
    with pytest.raises(DataError, match="already exists"):
        extract_zip(archive, target)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.txt", "outside the target"),
        ("good/../../evil.txt", "outside the target"),
        ("..\\evil.txt", "outside the target"),
        ("/tmp/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
    ],
)
def test_entries_that_escape_the_target_are_refused(tmp_path, name, why):
    archive = make_zip(tmp_path / "evil.zip", {"fine.txt": b"ok", name: b"pwned"})
    root = tmp_path / "sandbox"
    root.mkdir()
    with pytest.raises(DataError, match=why):
        extract_zip(archive, root / "target")
    assert everything(root) == []  # not even the harmless entry
    assert not (tmp_path / "evil.txt").exists()


def test_symlink_entries_are_refused(tmp_path):
    archive = make_zip(tmp_path / "link.zip", {"a.txt": b"a"}, links={"passwd": "/etc/passwd"})
    with pytest.raises(DataError, match="symbolic link"):
        extract_zip(archive, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_decompression_bomb_by_ratio(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(4 << 20)})  # 4 MiB → ~4 KiB
    with pytest.raises(DataError, match="decompression bomb"):
        extract_zip(archive, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_total_size_and_entry_count_limits(tmp_path):
    archive = make_zip(
        tmp_path / "big.zip",
        {f"f{i}.bin": bytes(1000) for i in range(5)},
        compression=zipfile.ZIP_STORED,
    )
    with pytest.raises(DataError, match="unpack to 5000 bytes"):
        extract_zip(archive, tmp_path / "t", max_total_bytes=4000)
    with pytest.raises(DataError, match="5 entries"):
        extract_zip(archive, tmp_path / "t", max_entries=4)
    assert extract_zip(archive, tmp_path / "t").is_dir()


def test_not_a_zip(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"this is not a zip")
    with pytest.raises(DataError, match="not a readable zip"):
        extract_zip(tmp_path / "fake.zip", tmp_path / "t")
    with pytest.raises(DataError, match="does not exist"):
        extract_zip(tmp_path / "missing.zip", tmp_path / "t2")


def test_lying_header_cannot_write_more_than_declared(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("a.bin", b"x" * 100)
    data = bytearray(buffer.getvalue())
    # Shrink the declared uncompressed size in the central directory (offset 24 of its record).
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    (tmp_path / "lie.zip").write_bytes(bytes(data))
    with pytest.raises(DataError):
        extract_zip(tmp_path / "lie.zip", tmp_path / "t")
    assert not (tmp_path / "t").exists()
