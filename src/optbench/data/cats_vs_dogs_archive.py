"""Is this `cats_and_dogs_filtered.zip`? Its size, its layout, and every image in it.

No authoritative source states a SHA-256 of Google's archive, but its size is published
(68,606,236 bytes: Keras' `get_file` prints it while TensorFlow's tutorials download it) and
its layout is fixed: `cats_and_dogs_filtered/{train,validation}/{cats,dogs}/*.jpg`, 1,000
images per class for training and 500 for validation. A download is accepted only with that
exact size, exactly those four class folders holding exactly those counts of files, and every
one of them a JPEG that decodes; its SHA-256 is then recorded and checked on every later use.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath

from PIL import Image

from optbench.core.errors import DataError

PUBLISHED_SIZE = 68_606_236
TREE = "cats_and_dogs_filtered"
EXPECTED = {
    ("train", "cats"): 1000,
    ("train", "dogs"): 1000,
    ("validation", "cats"): 500,
    ("validation", "dogs"): 500,
}


def check_archive(path: Path) -> None:
    """Raise DataError, saying what is wrong, unless `path` holds the expected images."""
    try:
        with zipfile.ZipFile(path) as zf:
            images = _class_files(zf)
            _check_counts(images, path)
            for name in images:
                _check_jpeg(zf, name, path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path.name} is not a readable zip archive ({exc}).") from None


def _class_files(zf: zipfile.ZipFile) -> list[str]:
    """Entries inside the train/validation class folders (folders themselves left out)."""
    found = []
    for info in zf.infolist():
        parts = PurePosixPath(info.filename).parts
        if (
            not info.is_dir()
            and len(parts) >= 2
            and parts[0] == TREE
            and parts[1]
            in (
                "train",
                "validation",
            )
        ):
            found.append(info.filename)
    return found


def _check_counts(names: list[str], path: Path) -> None:
    counts = Counter(tuple(PurePosixPath(n).parts[1:3]) for n in names)
    problems = [
        f"{split}/{cls}: {counts.get((split, cls), 0)} files, expected {n}"
        for (split, cls), n in EXPECTED.items()
        if counts.get((split, cls), 0) != n
    ]
    problems += [
        f"{'/'.join(key)}: not a class of this archive ({n} files)"
        for key, n in counts.items()
        if key not in EXPECTED
    ]
    if problems:
        raise DataError(
            f"{path.name} does not have the layout of {TREE}.zip: " + "; ".join(problems) + ". "
            "It is not the archive the seed used (or it is damaged); nothing was extracted."
        )


def _check_jpeg(zf: zipfile.ZipFile, name: str, path: Path) -> None:
    """Decode the image (at 1/8 scale: the whole compressed stream is still read)."""
    try:
        with Image.open(io.BytesIO(zf.read(name))) as image:
            if image.format != "JPEG":
                raise OSError(f"a {image.format} image, not a JPEG")
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (OSError, SyntaxError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{path.name}: {name} is not a decodable JPEG ({exc}). The archive is damaged or "
            "not the original; nothing was extracted."
        ) from None
