"""The `classes` option: keep a subset of classes, relabelled 0..k-1 in the order given.

Classes are named (case, spaces and punctuation ignored: "T-shirt", "tshirt" and "t shirt"
are the same) or given by index. A string of digits that is not a class name is an index.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from optbench.core.registry import suggest


def normalize_class_name(name: str) -> str:
    """Lowercase letters and digits only: 'T-shirt/Top' -> 'tshirttop'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def class_indices(
    requested: object, class_names: Sequence[str], aliases: Mapping[str, str]
) -> tuple[list[int], list[str]]:
    """(indices in the requested order, problems); problems name each bad entry."""
    if isinstance(requested, str) or not isinstance(requested, list | tuple):
        return [], [f"`classes` must be a list of class names or indices. Received: {requested!r}"]
    lookup = _lookup(class_names, aliases)
    indices, problems = [], []
    for item in requested:
        index, problem = _one_class(item, class_names, lookup)
        if problem:
            problems.append(problem)
        elif index in indices:
            problems.append(f"class {item!r} is listed twice in `classes`.")
        else:
            indices.append(index)
    if not problems and len(indices) < 2:
        problems.append(f"`classes` must name at least 2 classes. Received: {list(requested)}")
    return indices, problems


def _lookup(class_names: Sequence[str], aliases: Mapping[str, str]) -> dict[str, int]:
    table = {normalize_class_name(name): i for i, name in enumerate(class_names)}
    for alias, target in aliases.items():
        table.setdefault(normalize_class_name(alias), class_names.index(target))
    return table


def _one_class(
    item: object, class_names: Sequence[str], lookup: dict[str, int]
) -> tuple[int, str | None]:
    k = len(class_names)
    if isinstance(item, int | np.integer) and not isinstance(item, bool):
        if 0 <= item < k:
            return int(item), None
        return -1, f"class index {item} is out of range 0..{k - 1}."
    if not isinstance(item, str):
        return -1, f"class {item!r} must be a name or an index."
    key = normalize_class_name(item)
    if key in lookup:
        return lookup[key], None
    if item.strip().isdigit():
        return _one_class(int(item), class_names, lookup)
    hint = suggest(item.lower(), list(class_names))
    return -1, f"Unknown class '{item}'.{hint} Known: {', '.join(class_names)}."


def select_classes(x: np.ndarray, y: np.ndarray, keep: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose label is in `keep`, relabelled to their position in `keep` (order kept)."""
    relabel = np.full(max(int(y.max(initial=0)), *keep) + 1, -1, dtype=np.int64)
    relabel[keep] = np.arange(len(keep))
    mask = relabel[y] >= 0
    return x[mask], relabel[y[mask]]
