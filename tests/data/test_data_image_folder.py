"""Image folders (generated JPEG/PNG trees) and cats-vs-dogs (its zip on a loopback server)."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from datafiles import sha256
from PIL import Image

from optbench.core.errors import ConfigError, DataError
from optbench.core.specs import DatasetSpec
from optbench.data import RemoteFile, RemoteSource, load_dataset
from optbench.data.cats_vs_dogs import CATS_VS_DOGS_ZIP, ZIP_NAME
from optbench.data.image_folder import ImageOptions, read_image_folder

COLORS = {"cats": (200, 40, 40), "dogs": (30, 60, 220)}


def image_bytes(color, fmt: str, size=(40, 30), mode: str = "RGB") -> bytes:
    img = Image.new("RGB", size, color).convert(mode)
    buffer = io.BytesIO()
    img.save(buffer, format=fmt)
    return buffer.getvalue()


def write_tree(root: Path, per_class: int = 3, splits=("train", "validation")) -> Path:
    """root/<split>/<class>/: JPEGs and PNGs of one colour per class, various sizes/modes."""
    for split in splits:
        for name, color in COLORS.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                fmt, suffix = (("JPEG", "jpg"), ("PNG", "png"))[i % 2]
                mode = ("RGB", "L", "RGBA")[i % 3] if fmt == "PNG" else "RGB"
                (folder / f"{name}.{i}.{suffix}").write_bytes(
                    image_bytes(color, fmt, (40 + 7 * i, 30), mode)
                )
    return root


def load(root: Path, cache: Path, **options):
    return load_dataset(DatasetSpec("image-folder", path=str(root), options=options), cache)


def test_reads_the_keras_layout(tmp_path, cache_dir):
    root = write_tree(tmp_path / "pets")
    (root / "train" / "dogs" / "nested").mkdir()
    (root / "train" / "dogs" / "nested" / "deep.png").write_bytes(image_bytes((0, 0, 0), "PNG"))
    (root / "train" / "cats" / ".DS_Store").write_bytes(b"\x00junk")  # hidden: ignored
    ds = load(root, cache_dir, size=16)
    assert ds.class_names == ["cats", "dogs"]  # alphabetical, as Keras assigns labels
    assert ds.train.x.shape == (7, 3, 16, 16) and ds.test.x.shape == (6, 3, 16, 16)
    assert ds.train.y.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert ds.input_shape == (3, 16, 16) and ds.num_classes == 2
    assert float(ds.train.x.min()) >= 0.0 and float(ds.train.x.max()) <= 1.0  # scaled /255
    # a solid red cat (JPEG is lossy; L-mode PNGs are gray): channel order is RGB
    assert ds.train.x[0, :, 8, 8].mul(255).round().tolist() == pytest.approx([200, 40, 40], abs=6)
    assert "skipped" not in ds.info()


def test_size_color_and_augment_options(tmp_path, cache_dir):
    root = write_tree(tmp_path / "pets")
    gray = load(root, cache_dir, size=[12, 20], color="grayscale")
    assert gray.train.x.shape == (6, 1, 12, 20) and gray.input_shape == (1, 12, 20)
    flipped = load(root, cache_dir, size=16, augment="hflip")
    assert len(flipped.train) == 12 and len(flipped.test) == 6
    assert flipped.train.x[6:].equal(flipped.train.x[:6].flip(-1))
    assert flipped.info()["augment"] == "hflip"
    for bad, message in (
        ({"size": 4}, "size"),
        ({"color": "cmyk"}, "color"),
        ({"augment": "rotate"}, "augment"),
        ({"sized": 3}, "Did you mean"),
    ):
        with pytest.raises(ConfigError, match=message):
            load(root, cache_dir, **bad)


def test_classes_option_picks_folders(tmp_path, cache_dir):
    root = write_tree(tmp_path / "pets")
    for split in ("train", "validation"):
        (root / split / "birds").mkdir()
        (root / split / "birds" / "b.png").write_bytes(image_bytes((0, 200, 0), "PNG"))
    ds = load(root, cache_dir, size=8, classes=["dogs", "birds"])
    assert ds.class_names == ["dogs", "birds"] and set(ds.train.y.tolist()) == {0, 1}
    with pytest.raises(ConfigError, match="Did you mean 'dogs'"):
        load(root, cache_dir, size=8, classes=["dogz", "cats"])


def test_corrupt_images_and_non_image_files_are_skipped_and_reported(tmp_path, cache_dir):
    root = write_tree(tmp_path / "pets")
    good = image_bytes((1, 2, 3), "JPEG")
    (root / "train" / "cats" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (root / "train" / "dogs" / "garbage.png").write_bytes(b"\x89PNG not really")
    (root / "validation" / "dogs" / "notes.txt").write_text("not an image")
    ds = load(root, cache_dir, size=8)
    assert len(ds.train) == 6 and len(ds.test) == 6
    skipped = ds.info()["skipped"]
    assert len(skipped) == 3
    assert any("notes.txt: not an image file (.txt)" in s for s in skipped)
    assert any("truncated.jpg: corrupt or unreadable image" in s for s in skipped)
    assert any("garbage.png" in s and "not an image Pillow can read" in s for s in skipped)


@pytest.mark.parametrize("case", ["empty", "only-corrupt", "only-text"])
def test_a_class_folder_without_usable_images_is_a_clear_error(tmp_path, cache_dir, case):
    root = write_tree(tmp_path / "pets")
    folder = root / "validation" / "dogs"
    for f in folder.iterdir():
        f.unlink()
    if case == "only-corrupt":
        (folder / "bad.jpg").write_bytes(b"\xff\xd8\xff broken")
    if case == "only-text":
        (folder / "readme.md").write_text("hi")
    with pytest.raises(DataError, match=f"Class folder '{folder}' has no usable image"):
        load(root, cache_dir, size=8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: (r / "validation" / "cats").rename(r / "validation" / "kittens"), "missing in"),
        (lambda r: (r / "validation").rename(r / "holdout"), "no validation folder"),
        (lambda r: None, "needs a path"),
    ],
)
def test_wrong_layouts_are_clear_errors(tmp_path, cache_dir, change, message):
    root = write_tree(tmp_path / "pets")
    change(root)
    spec_path = None if message == "needs a path" else str(root)
    with pytest.raises((DataError, ConfigError), match=message):
        load_dataset(DatasetSpec("image-folder", path=spec_path), cache_dir)


def test_val_and_test_split_names_and_missing_folder(tmp_path, cache_dir):
    root = write_tree(tmp_path / "pets", splits=("train", "val"))
    assert len(load(root, cache_dir, size=8).test) == 6
    with pytest.raises(DataError, match="does not exist"):
        load(tmp_path / "nowhere", cache_dir)


def test_decoded_arrays_are_cached_and_rebuilt_when_files_change(tmp_path, cache_dir):
    root = write_tree(tmp_path / "pets")
    first = read_image_folder(root, ImageOptions((8, 8)), cache_dir)
    cached = list((cache_dir / "image-folder").glob("*.npz"))
    assert len(cached) == 1 and "decoded cache" not in first.source
    again = read_image_folder(root, ImageOptions((8, 8)), cache_dir)
    assert "decoded cache" in again.source and np.array_equal(again.x_train, first.x_train)
    assert again.class_names == ("cats", "dogs")
    (root / "train" / "cats" / "new.png").write_bytes(image_bytes((9, 9, 9), "PNG"))
    grown = read_image_folder(root, ImageOptions((8, 8)), cache_dir)
    assert len(grown.y_train) == 7 and "decoded cache" not in grown.source
    cached[0].write_bytes(b"corrupt cache")  # an unreadable cache is rebuilt, never trusted
    assert len(read_image_folder(root, ImageOptions((8, 8)), cache_dir).y_train) in (6, 7)


# -- cats-vs-dogs ------------------------------------------------------------------------------


def cats_zip(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for split in ("train", "validation"):
            for name, color in COLORS.items():
                for i in range(2):
                    zf.writestr(
                        f"cats_and_dogs_filtered/{split}/{name}/{name}.{i}.jpg",
                        image_bytes(color, "JPEG"),
                    )
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def source_for(loopback, body: bytes, sha: str | None) -> RemoteSource:
    loopback.add(f"zips/{ZIP_NAME}", body)
    return RemoteSource("test zip", "zip", (f"{loopback.base}zips/",), (RemoteFile(ZIP_NAME, sha),))


def cats(cache_dir, sources=None, **options):
    spec = DatasetSpec("cats-vs-dogs", options={"size": 16, **options})
    return load_dataset(spec, cache_dir, sources=sources, timeout=5)


def test_cats_vs_dogs_downloads_verifies_extracts_and_reads(loopback, cache_dir):
    body = cats_zip()
    ds = cats(cache_dir, [source_for(loopback, body, sha256(body))])
    assert ds.class_names == ["cats", "dogs"] and ds.train.x.shape == (4, 3, 16, 16)
    assert ds.train.y.tolist() == [0, 0, 1, 1] and len(ds.test) == 4
    hits = len(loopback.hits)
    again = cats(cache_dir, [source_for(loopback, body, sha256(body))])  # extracted: no fetch
    assert len(loopback.hits) == hits and len(again.train) == 4


def test_cats_vs_dogs_without_a_hash_needs_the_published_size(loopback, cache_dir, listing):
    """No hash is published: an archive that is not 68,606,236 bytes is refused (the full-size
    archive's checks are in test_data_cats_vs_dogs.py); a hash the user pins overrides."""
    assert CATS_VS_DOGS_ZIP.files[0].sha256 is None  # no authoritative hash is known
    body = cats_zip()
    with pytest.raises(DataError, match="expected exactly 68606236") as error:
        cats(cache_dir, [source_for(loopback, body, None)])
    assert "--data-path" in str(error.value)
    assert not any(p.endswith(ZIP_NAME) for p in listing(cache_dir))  # nothing kept
    ds = cats(cache_dir, [source_for(loopback, body, None)], sha256=sha256(body))  # user's hash
    assert len(ds.train) == 4
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        cats(cache_dir / "other", [source_for(loopback, body, None)], sha256="0" * 64)


def test_cats_vs_dogs_zip_escaping_its_folder_is_refused(loopback, cache_dir, listing):
    body = cats_zip({"../../escaped.txt": b"pwned"})
    with pytest.raises(DataError, match="outside the target folder"):
        cats(cache_dir, [source_for(loopback, body, sha256(body))])
    assert not (cache_dir.parent / "escaped.txt").exists()
    assert not any(p.endswith("escaped.txt") for p in listing(cache_dir.parent))
    assert not any("train" in p for p in listing(cache_dir))  # nothing extracted, zip removed


def test_cats_vs_dogs_from_a_local_zip_or_folder(tmp_path, cache_dir):
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(cats_zip())
    spec = DatasetSpec("cats-vs-dogs", path=str(archive), options={"size": 16})
    assert len(load_dataset(spec, cache_dir).train) == 4
    extracted = next((cache_dir / "cats-vs-dogs").glob("*/cats_and_dogs_filtered"))
    for path in (extracted, extracted.parent):  # the tree, or the folder holding it
        spec = DatasetSpec("cats-vs-dogs", path=str(path), options={"size": 16})
        assert load_dataset(spec, cache_dir).class_names == ["cats", "dogs"]
    with pytest.raises(DataError, match="neither"):
        load_dataset(DatasetSpec("cats-vs-dogs", path=str(tmp_path)), cache_dir)
