"""The dataset registry: one frozen record per dataset, and where its files can come from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from optbench.core.errors import ConfigError
from optbench.core.registry import Registry
from optbench.core.specs import DatasetSpec
from optbench.data.arrays import RawArrays


@dataclass(frozen=True)
class RemoteFile:
    """A file a mirror serves, and the SHA-256 it must have.

    `sha256=None`: no hash stated by an authoritative source is known, so optbench will not
    download the file until the user supplies one they verified (see data/cats_vs_dogs.py).
    """

    filename: str
    sha256: str | None


@dataclass(frozen=True)
class RemoteSource:
    """One way to get a dataset over the network: a set of files and the mirrors serving them.

    `format` says how the files are read: `idx` (the four MNIST-style IDX files), `npz`
    (one Keras-style archive) or `zip` (one zip of an image-folder tree). A file's URL is
    `mirror + filename`, so mirrors end in `/`.
    """

    label: str
    format: Literal["idx", "npz", "zip"]
    mirrors: tuple[str, ...]
    files: tuple[RemoteFile, ...]

    def __post_init__(self) -> None:
        count = {"idx": 4, "npz": 1, "zip": 1}.get(self.format)
        problems = []
        if count is None:
            problems.append(
                f"format must be 'idx', 'npz' or 'zip'. Received: format={self.format!r}"
            )
        elif len(self.files) != count:
            problems.append(
                f"a '{self.format}' source lists {count} file(s), not {len(self.files)}"
            )
        if not self.mirrors:
            problems.append("at least one mirror is needed")
        problems += [f"mirror '{m}' must end with '/'" for m in self.mirrors if not m.endswith("/")]
        if problems:
            raise ConfigError.collect(problems, source=f"download source '{self.label}'")

    def urls(self, filename: str) -> list[str]:
        return [mirror + filename for mirror in self.mirrors]


@dataclass(frozen=True)
class ReadRequest:
    """Everything a dataset's reader may use to find its data."""

    spec: DatasetSpec
    cache_dir: Path
    allow_download: bool
    sources: tuple[RemoteSource, ...]
    timeout: float


@dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset: what it is, its classes and pixel range, and how it is read.

    `read(info, request)` returns the raw, validated arrays; `load_dataset` then selects
    classes, keeps the first N examples and scales. `sources` are the default download
    mirrors (overridable per call); `local_dirs` are system folders searched first.

    Image-folder datasets learn their classes and image shape from the files: their
    `class_names` may be empty (any folder) and `input_shape` is the default one (the `size`
    option changes it). `options`: the dataset-specific options the reader understands,
    besides `classes` and `augment`; `needs_path`: the dataset is read from `path` only.
    """

    name: str
    description: str
    reference: str
    num_classes: int
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    raw_range: tuple[float, float]
    needs_download: bool
    read: Callable[[DatasetInfo, ReadRequest], RawArrays] = field(repr=False, compare=False)
    split: str = "the dataset's official train/test split"
    sources: tuple[RemoteSource, ...] = ()
    local_dirs: tuple[str, ...] = ()
    class_aliases: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    needs_path: bool = False


DATASETS: Registry[DatasetInfo] = Registry(kind="dataset")
