"""Files the reader skips (a corrupt JPEG, a decompression bomb) are skipped rightly, and now
said: on the terminal while the study runs, and in the report, not only in the store's meta.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from filesystems import optbench
from PIL import Image

from optbench.data.image_folder import MAX_PIXELS

pytestmark = pytest.mark.slow


def _image(color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 10), color).save(buffer, format=fmt)
    return buffer.getvalue()


def _tree(root: Path) -> Path:
    for split in ("train", "validation"):
        for name, color in {"cats": (200, 40, 40), "dogs": (30, 60, 220)}.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(3):
                (folder / f"{name}{i}.png").write_bytes(_image(color))
    jpeg = _image((1, 2, 3), "JPEG")
    (root / "train" / "cats" / "broken.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    side = int(MAX_PIXELS**0.5) + 100  # a few kB on disk, over the pixel limit when decoded
    bomb = io.BytesIO()
    Image.new("1", (side, side)).save(bomb, format="PNG")
    (root / "train" / "dogs" / "bomb.png").write_bytes(bomb.getvalue())
    return root


def test_skipped_files_are_said_on_the_terminal_and_in_the_report(tmp_path):
    data = _tree(tmp_path / "pets")
    study = tmp_path / "skips.toml"
    study.write_text(
        f'name = "skips"\nepochs = 1\nbatch_size = 4\noptimizers = ["sgd"]\n'
        f'[dataset]\nname = "image-folder"\npath = "{data}"\nsize = 8\n'
    )
    done = optbench("run", str(study), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert "data.skipped_files" in said and "2 input file(s) were skipped" in said
    assert "broken.jpg" in said and "bomb.png" in said
    report = (tmp_path / "out" / "report.md").read_text()
    assert "2 input file(s) were skipped" in report
