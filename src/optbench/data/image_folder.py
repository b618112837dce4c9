"""Read an image-folder dataset: `root/train/<class>/*` and `root/validation/<class>/*`.

This is the Keras `flow_from_directory` / torchvision `ImageFolder` layout (the validation
folder may also be called `val` or `test`). Classes are the sub-folder names of `train/`,
sorted, so labels are 0..C-1 in alphabetical order, as Keras assigns them (cats = 0,
dogs = 1). Every split must have the same class folders.

Each image is decoded with Pillow, converted to RGB (3 channels) or grayscale (1), resized to
`size` (height, width; bilinear) and stored as uint8 [N, C, H, W]; `load_dataset` scales it to
[0, 1] (the seed's `rescale=1./255`). Images in nested sub-folders count; hidden files are
ignored. A file that is not an image, or an image Pillow cannot decode (truncated, corrupt,
absurdly large), is skipped and listed in `RawArrays.skipped` (and `Dataset.info()["skipped"]`);
a class folder with no usable image is a DataError naming it.

Decoding thousands of JPEGs takes a while, so the decoded arrays are cached as an `.npz`
(loaded with allow_pickle=False) under `<cache_dir>/image-folder/`, keyed by the folder, the
size, the colour mode and every file's name, size and modification time: any change to the
files rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from optbench.core.errors import ConfigError, DataError
from optbench.data.arrays import RawArrays
from optbench.data.info import DATASETS, DatasetInfo, ReadRequest

DEFAULT_SIZE = (150, 150)  # the seed's target_size
COLORS = {"rgb": "RGB", "grayscale": "L"}
TRAIN_SPLITS = ("train",)
TEST_SPLITS = ("validation", "val", "test")
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm"}
)
MAX_PIXELS = 40_000_000  # per image; larger files are skipped (decompression bombs)
MIN_SIDE, MAX_SIDE = 8, 1024
CACHE_VERSION = 1
LAYOUT_HELP = (
    "An image folder looks like root/train/<class>/*.jpg and root/validation/<class>/*.jpg "
    "(`val` or `test` also work for the second split), with the same class folders in both."
)


@dataclass(frozen=True)
class ImageOptions:
    """How images are turned into arrays: `size` (height, width) and colour mode."""

    size: tuple[int, int] = DEFAULT_SIZE
    color: str = "rgb"

    @property
    def channels(self) -> int:
        return 3 if self.color == "rgb" else 1


def parse_image_options(options: dict[str, object]) -> tuple[ImageOptions, list[str]]:
    """(options, problems) from a DatasetSpec's `size` (int or [h, w]) and `color`."""
    problems: list[str] = []
    size = _parse_size(options.get("size", list(DEFAULT_SIZE)), problems)
    color = options.get("color", "rgb")
    if color not in COLORS:
        problems.append(f"`color` must be 'rgb' or 'grayscale'. Received: color={color!r}")
        color = "rgb"
    return ImageOptions(size, str(color)), problems


def _parse_size(value: object, problems: list[str]) -> tuple[int, int]:
    sides = [value, value] if isinstance(value, int) else value
    ok = (
        isinstance(sides, list | tuple)
        and len(sides) == 2
        and all(isinstance(s, int) and not isinstance(s, bool) for s in sides)
        and all(MIN_SIDE <= s <= MAX_SIDE for s in sides)  # type: ignore[operator]
    )
    if not ok:
        problems.append(
            f"`size` must be an integer or [height, width], each {MIN_SIDE}..{MAX_SIDE}. "
            f"Received: size={value!r}"
        )
        return DEFAULT_SIZE
    return int(sides[0]), int(sides[1])  # type: ignore[index]


# -- finding the files ------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderLayout:
    """The files of an image folder: (path, label) per split, and files that are no images."""

    root: Path
    class_names: tuple[str, ...]
    splits: dict[str, list[tuple[Path, int]]]  # "train" / "test" → files with labels
    not_images: tuple[str, ...]


def scan_folder(root: Path) -> FolderLayout:
    """Find the splits, classes and image files of `root`; DataError for a wrong layout."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"Image folder '{root}' does not exist or is not a folder. {LAYOUT_HELP}")
    train, test = _split_dir(root, TRAIN_SPLITS), _split_dir(root, TEST_SPLITS)
    if train is None or test is None:
        found = ", ".join(sorted(p.name for p in root.iterdir() if not p.name.startswith(".")))
        raise DataError(
            f"'{root}' has no {'train' if train is None else 'validation'} folder (it holds: "
            f"{found or 'nothing'}). {LAYOUT_HELP}"
        )
    classes = _class_dirs(train)
    _check_same_classes(classes, _class_dirs(test), train, test)
    splits: dict[str, list[tuple[Path, int]]] = {}
    not_images: list[str] = []
    for split, folder in (("train", train), ("test", test)):
        splits[split] = []
        for label, name in enumerate(classes):
            images, others = _class_files(folder / name)
            splits[split] += [(path, label) for path in images]
            not_images += [f"{p}: not an image file ({p.suffix or 'no suffix'})" for p in others]
    return FolderLayout(root, classes, splits, tuple(not_images))


def _split_dir(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_dir()), None)


def _class_dirs(split: Path) -> tuple[str, ...]:
    names = sorted(p.name for p in split.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise DataError(f"'{split}' has no class folders. {LAYOUT_HELP}")
    return tuple(names)


def _check_same_classes(
    train: tuple[str, ...], test: tuple[str, ...], train_dir: Path, test_dir: Path
) -> None:
    if train == test:
        return
    only_train = sorted(set(train) - set(test))
    only_test = sorted(set(test) - set(train))
    details = []
    if only_train:
        details.append(f"missing in {test_dir}: {', '.join(only_train)}")
    if only_test:
        details.append(f"missing in {train_dir}: {', '.join(only_test)}")
    raise DataError(
        f"The splits have different class folders ({'; '.join(details)}). Labels are "
        "assigned by folder name, so both splits need the same classes: add the missing "
        "folders or remove the extra ones."
    )


def _class_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(image files, other files) under `folder`, sorted; hidden files and folders ignored."""
    images, others = [], []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative) or not path.is_file():
            continue
        (images if path.suffix.lower() in IMAGE_SUFFIXES else others).append(path)
    if not images:
        raise _empty_class(folder, others)
    return images, others


def _empty_class(folder: Path, others: Iterable[object]) -> DataError:
    extra = [str(o) for o in others]
    also = f" (it holds {len(extra)} file(s) that are not images or not readable)" if extra else ""
    return DataError(
        f"Class folder '{folder}' has no usable image{also}. Every class needs at least one "
        "image in every split: add images to it, or remove the folder from both splits."
    )


# -- decoding -------------------------------------------------------------------------------


def decode_image(path: Path, options: ImageOptions) -> np.ndarray | str:
    """uint8 [C, H, W], or the reason the file cannot be used (never raises for bad files)."""
    height, width = options.size
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_PIXELS:
                return f"image of {img.width}×{img.height} pixels is larger than {MAX_PIXELS}"
            converted = img.convert(COLORS[options.color])
            resized = converted.resize((width, height), Image.Resampling.BILINEAR)
            array = np.asarray(resized, dtype=np.uint8)
    except UnidentifiedImageError:
        return "not an image Pillow can read"
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        return f"corrupt or unreadable image ({exc})"
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def read_image_folder(
    root: Path, options: ImageOptions = ImageOptions(), cache_dir: Path | None = None
) -> RawArrays:
    """The folder's images as raw uint8 arrays [N, C, H, W] with labels, cached when possible."""
    layout = scan_folder(root)
    cache = _cache_path(layout, options, cache_dir) if cache_dir is not None else None
    if cache is not None:
        cached = _load_cache(cache)
        if cached is not None:
            return cached
    raw = _decode_all(layout, options)
    if cache is not None:
        _save_cache(cache, raw)
    return raw


def _decode_all(layout: FolderLayout, options: ImageOptions) -> RawArrays:
    skipped = list(layout.not_images)
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:  # Pillow decodes without holding the GIL
        for split, files in layout.splits.items():
            decoded = list(pool.map(lambda f: decode_image(f[0], options), files))
            kept = [
                (img, label)
                for img, (_, label) in zip(decoded, files, strict=True)
                if not isinstance(img, str)
            ]
            skipped += [
                f"{path}: {why}"
                for why, (path, _) in zip(decoded, files, strict=True)
                if isinstance(why, str)
            ]
            _check_every_class(layout, split, kept, skipped)
            arrays[split] = _stack(kept, options)
    return RawArrays(
        *arrays["train"],
        *arrays["test"],
        source=str(layout.root),
        class_names=layout.class_names,
        skipped=tuple(skipped),
    )


def _check_every_class(
    layout: FolderLayout, split: str, kept: list[tuple[np.ndarray, int]], skipped: list[str]
) -> None:
    present = {label for _, label in kept}
    for label, name in enumerate(layout.class_names):
        if label not in present:
            folder_files = [p for p, lab in layout.splits[split] if lab == label]
            folder = folder_files[0].parent if folder_files else layout.root / split / name
            raise _empty_class(folder, [s for s in skipped if s.startswith(str(folder))])


def _stack(
    kept: list[tuple[np.ndarray, int]], options: ImageOptions
) -> tuple[np.ndarray, np.ndarray]:
    height, width = options.size
    x = np.empty((len(kept), options.channels, height, width), dtype=np.uint8)
    for i, (image, _) in enumerate(kept):
        x[i] = image
    y = np.fromiter((label for _, label in kept), dtype=np.int64, count=len(kept))
    return x, y


# -- the cache ------------------------------------------------------------------------------


def _cache_path(layout: FolderLayout, options: ImageOptions, cache_dir: Path) -> Path:
    """`<cache_dir>/image-folder/<hash>.npz`, the hash covering folder, options and files."""
    files = [p for split in layout.splits.values() for p, _ in split]
    stats = [(str(p.relative_to(layout.root)), *_stat(p)) for p in files]
    key = {
        "version": CACHE_VERSION,
        "root": str(layout.root.resolve()),
        "size": list(options.size),
        "color": options.color,
        "files": stats,
        "not_images": list(layout.not_images),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    return Path(cache_dir).expanduser() / "image-folder" / f"{digest}.npz"


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


_CACHE_KEYS = ("x_train", "y_train", "x_test", "y_test", "class_names", "skipped")


def _load_cache(path: Path) -> RawArrays | None:
    """The cached arrays, or None (missing or unreadable: it is rebuilt and replaced)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in _CACHE_KEYS}
    except (OSError, ValueError, KeyError, EOFError):
        path.unlink(missing_ok=True)
        return None
    return RawArrays(
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
        source=f"{path} (decoded cache)",
        class_names=tuple(str(n) for n in arrays["class_names"]),
        skipped=tuple(str(s) for s in arrays["skipped"]),
    )


def _save_cache(path: Path, raw: RawArrays) -> None:
    """Write atomically (temp file + rename); a cache that cannot be written is not an error."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".", suffix=".npz.tmp", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as stream:
            np.savez(
                stream,
                x_train=raw.x_train,
                y_train=raw.y_train,
                x_test=raw.x_test,
                y_test=raw.y_test,
                class_names=np.array(raw.class_names or (), dtype=str),
                skipped=np.array(raw.skipped, dtype=str),
            )
        os.replace(tmp, path)
    except OSError:
        pass  # the cache only saves time; the arrays in hand are complete
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


# -- the registered dataset -----------------------------------------------------------------


def read_image_folder_dataset(info: DatasetInfo, request: ReadRequest) -> RawArrays:
    """`image-folder`: the user's folder (`path`, required), resized as the options say."""
    if request.spec.path is None:
        raise ConfigError(
            "Dataset 'image-folder' needs a path: --data-path DIR (or `path` under [dataset]). "
            + LAYOUT_HELP
        )
    options, problems = parse_image_options(request.spec.options)
    if problems:
        raise ConfigError.collect(problems, source="dataset 'image-folder'")
    return read_image_folder(Path(request.spec.path), options, request.cache_dir)


IMAGE_FOLDER = DATASETS.register(
    "image-folder",
    DatasetInfo(
        name="image-folder",
        description="Your own images: root/train/<class>/* and root/validation/<class>/* "
        "(Keras/torchvision layout), decoded with Pillow, resized (default 150×150, RGB).",
        reference="Keras ImageDataGenerator.flow_from_directory; torchvision ImageFolder",
        num_classes=0,  # the class folders decide
        input_shape=(3, *DEFAULT_SIZE),  # the `size` and `color` options decide
        class_names=(),
        raw_range=(0.0, 255.0),
        needs_download=False,
        read=read_image_folder_dataset,
        split="the folder's own: train/ and validation/ (or val/, test/)",
        tags=("image", "folder"),
        options=("size", "color"),
        needs_path=True,
    ),
)
