"""`load_dataset`: a DatasetSpec in, an in-memory Dataset of tensors out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from optbench.core.errors import ConfigError, DataError
from optbench.core.registry import suggest
from optbench.core.specs import DatasetSpec
from optbench.data.arrays import RawArrays
from optbench.data.classes import class_indices, select_classes
from optbench.data.dataset import Dataset, Split
from optbench.data.download import DEFAULT_TIMEOUT, check_url
from optbench.data.info import DATASETS, DatasetInfo, ReadRequest, RemoteSource
from optbench.data.loader import load_from_loader

COMMON_OPTIONS = ("classes", "augment")
AUGMENTATIONS = ("hflip",)


def load_dataset(
    spec: DatasetSpec,
    cache_dir: Path,
    *,
    allow_download: bool = True,
    sources: Sequence[RemoteSource] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    task: str = "classification",
) -> Dataset:
    """Find, read, validate and convert the dataset `spec` names.

    Order of operations: keep the `classes` asked for (relabelled 0..k-1 in the given
    order), then the first `train_size`/`test_size` examples, then convert to float32 and
    scale to [0, 1] when `spec.scale`, then augment the training split (`augment="hflip"`
    appends a mirrored copy of every training image: deterministic, so every trial and seed
    sees the same data). `sources` replaces the registered download mirrors (tests point it
    at a loopback server); `timeout` bounds each network wait in seconds. A spec with a
    `loader` calls the user's loader instead, and checks its data against `task`.

    >>> ds = load_dataset(DatasetSpec("digits", train_size=100), Path("/tmp/cache"))
    >>> ds.train.x.shape, ds.raw_range, float(ds.train.x.max())
    (torch.Size([100, 8, 8]), (0.0, 16.0), 1.0)
    """
    if spec.loader is not None:  # your own data (data/loader.py)
        return load_from_loader(spec, task)
    info = DATASETS.get(spec.name)
    resolved = tuple(sources) if sources is not None else info.sources
    keep = _validate(spec, info, resolved)
    request = ReadRequest(spec, Path(cache_dir).expanduser(), allow_download, resolved, timeout)
    raw = info.read(info, request)
    if keep is None and "classes" in spec.options:  # classes known only now (image folders)
        keep = _classes_of(spec, raw.class_names or info.class_names, info)
    return _build(info, spec, raw, keep)


def _validate(
    spec: DatasetSpec, info: DatasetInfo, sources: tuple[RemoteSource, ...]
) -> list[int] | None:
    """The class indices to keep (None: all); every problem in the spec raised at once."""
    problems = []
    known = (*COMMON_OPTIONS, *info.options)
    for key in spec.options:
        if key not in known:
            hint = suggest(key, known)
            problems.append(f"unknown option '{key}'.{hint} Known: {', '.join(known)}.")
    augment = spec.options.get("augment")
    if augment is not None and augment not in AUGMENTATIONS:
        problems.append(
            f"`augment` must be one of {', '.join(AUGMENTATIONS)}. Received: augment={augment!r}"
        )
    for name in ("train_size", "test_size"):
        value = getattr(spec, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            problems.append(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    keep = None
    if "classes" in spec.options and info.class_names and not info.needs_path:
        keep, more = class_indices(spec.options["classes"], info.class_names, info.class_aliases)
        problems += more
    for mirror in (m for source in sources for m in source.mirrors):
        try:
            check_url(mirror)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError.collect(problems, source=f"dataset '{spec.name}'")
    return keep


def _classes_of(spec: DatasetSpec, names: tuple[str, ...], info: DatasetInfo) -> list[int]:
    """Resolve `classes` against the class names a reader found (image folders)."""
    keep, problems = class_indices(spec.options["classes"], names, info.class_aliases)
    if problems:
        raise ConfigError.collect(problems, source=f"dataset '{spec.name}'")
    return keep


def _build(info: DatasetInfo, spec: DatasetSpec, raw: RawArrays, keep: list[int] | None) -> Dataset:
    splits = {"train": (raw.x_train, raw.y_train), "test": (raw.x_test, raw.y_test)}
    if keep is not None:
        splits = {name: select_classes(x, y, keep) for name, (x, y) in splits.items()}
    all_names = list(raw.class_names or info.class_names)
    names = [all_names[i] for i in keep] if keep is not None else all_names
    tensors = {}
    for name, (x, y) in splits.items():
        _check_not_empty(info, name, len(y), raw.source, keep is not None)
        n = _size(info, getattr(spec, f"{name}_size"), len(y), name, keep is not None)
        tensors[name] = to_split(x[:n], y[:n], info.raw_range, scale=spec.scale)
    augment = spec.options.get("augment")
    if augment == "hflip":
        tensors["train"] = mirrored(tensors["train"])
    return Dataset(
        name=info.name,
        train=tensors["train"],
        test=tensors["test"],
        num_classes=len(names),
        class_names=names,
        input_shape=tuple(raw.x_train.shape[1:]),
        scaled=spec.scale,
        raw_range=info.raw_range,
        source=raw.source,
        skipped=list(raw.skipped),
        augment=augment,
    )


def mirrored(split: Split) -> Split:
    """The split followed by a left-right mirrored copy of each image (last axis = width)."""
    return Split(x=torch.cat([split.x, split.x.flip(-1)]), y=torch.cat([split.y, split.y]))


def _check_not_empty(info: DatasetInfo, split: str, have: int, source: str, subset: bool) -> None:
    """A split with no example cannot train or be evaluated: refused before any trial (it
    used to fail every trial, then the report)."""
    if have:
        return
    why = (
        "the classes chosen have none there: choose classes it holds"
        if subset
        else "its files hold 0 examples (an IDX header that says 0 items, an empty folder): "
        "check the files"
    )
    raise DataError(
        f"Dataset '{info.name}' has no {split} examples ({source}): {why}. A study needs at "
        "least one example in each split."
    )


def _size(info: DatasetInfo, wanted: int | None, have: int, split: str, subset: bool) -> int:
    if wanted is None:
        return have
    if wanted > have:
        which = " in the selected classes" if subset else ""
        raise ConfigError(
            f"`{split}_size` must be at most {have}: dataset '{info.name}' has {have} {split} "
            f"examples{which}. Received: {split}_size={wanted}"
        )
    return wanted


def to_split(x: np.ndarray, y: np.ndarray, raw_range: tuple[float, float], *, scale: bool) -> Split:
    """Convert once: x to float32 (mapped from raw_range to [0, 1] when `scale`), y to int64."""
    xt = torch.from_numpy(np.ascontiguousarray(x)).to(torch.float32, copy=True)
    if scale:
        low, high = raw_range
        if low:
            xt.sub_(low)
        xt.div_(high - low)  # division, not a multiply by 1/255: the max maps to exactly 1.0
    return Split(x=xt, y=torch.from_numpy(np.asarray(y, dtype=np.int64)))
