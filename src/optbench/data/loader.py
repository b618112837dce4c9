"""Your own data: a loader by reference, returning the train and test splits.

    def load(**options):      # options: the study's [dataset] options
        return x_train, y_train, x_test, y_test            # arrays or tensors
        # or {"x_train": …, "y_train": …, "x_test": …, "y_test": …, "classes": [names]}
        # or (train, test): map-style torch.utils.data.Datasets of (x, y) pairs

What `y` is depends on the task: class indices [N] (classification), 0/1 [N] (binary), real
values [N] or [N, D] (regression), next tokens [N, T] beside token inputs x [N, T]
(language_model). Everything is checked once, here, with one message per problem: types,
shapes, dtypes, NaN or infinite values, labels outside the classes, tokens outside the
vocabulary. Map-style datasets are read once into tensors (the data must fit in memory, as
every optbench dataset does), so batches come from a seeded permutation as for built-in data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from optbench.core.errors import ConfigError, DataError
from optbench.core.imports import load_object
from optbench.core.specs import DatasetSpec, portable_reference
from optbench.data.dataset import Dataset, Split

KEYS = ("x_train", "y_train", "x_test", "y_test")
SHAPES = (
    "return (x_train, y_train, x_test, y_test), a dict with those keys, or (train, test) "
    "torch Datasets of (x, y) pairs"
)


def load_from_loader(spec: DatasetSpec, task: str) -> Dataset:
    """Call the study's loader and check what it returns against the task."""
    assert spec.loader is not None
    ref = portable_reference(spec.loader)
    load = load_object(spec.loader, "data loader")
    if not callable(load):
        raise ConfigError(f"The data loader {ref!r} is not callable ({load!r}).")
    try:
        returned = load(**spec.options)
    except Exception as exc:
        raise DataError(
            f"The data loader {ref} raised {type(exc).__name__}: {exc} (called with "
            f"{dict(spec.options)!r}). Fix the loader or its options."
        ) from exc
    arrays, extra = _arrays(returned, ref)
    tensors = {key: _tensor(value, key, ref) for key, value in arrays.items()}
    problems: list[str] = []
    x, y = _typed(tensors, task, problems)
    classes = _classes(extra, y, task, problems)
    _check(x, y, task, len(classes), problems)
    if problems:
        raise DataError.collect(problems, source=f"data loader {ref}")
    train = Split(*_first(x["train"], y["train"], spec.train_size, "train", problems))
    test = Split(*_first(x["test"], y["test"], spec.test_size, "test", problems))
    if problems:
        raise DataError.collect(problems, source=f"data loader {ref}")
    floats = train.x.is_floating_point()
    low, high = (float(train.x.min()), float(train.x.max())) if floats else (0.0, 0.0)
    return Dataset(
        name=spec.name,
        train=train,
        test=test,
        num_classes=len(classes),
        class_names=classes,
        input_shape=tuple(train.x.shape[1:]),
        scaled=False,
        raw_range=(low, high),
        source=f"data loader {ref}",
        task=task,
        target_shape=tuple(train.y.shape[1:]) if task == "regression" else (),
    )


def _arrays(returned: Any, ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The four arrays, and anything else the loader said (classes, vocab_size)."""
    if isinstance(returned, Mapping):
        if {"train", "test"} <= set(returned):
            (xtr, ytr), (xte, yte) = _read(returned["train"], ref), _read(returned["test"], ref)
            arrays = dict(zip(KEYS, (xtr, ytr, xte, yte), strict=True))
        elif set(KEYS) <= set(returned):
            arrays = {k: returned[k] for k in KEYS}
        else:
            missing = [k for k in KEYS if k not in returned]
            raise DataError(f"The data loader {ref} returned a dict without {missing}: {SHAPES}.")
        return arrays, {k: v for k, v in returned.items() if k not in (*KEYS, "train", "test")}
    if isinstance(returned, tuple | list) and len(returned) == 4:
        return dict(zip(KEYS, returned, strict=True)), {}
    if isinstance(returned, tuple | list) and len(returned) == 2:
        (xtr, ytr), (xte, yte) = _read(returned[0], ref), _read(returned[1], ref)
        return dict(zip(KEYS, (xtr, ytr, xte, yte), strict=True)), {}
    raise DataError(f"The data loader {ref} returned {type(returned).__name__}: {SHAPES}.")


def _read(dataset: Any, ref: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A map-style dataset (len and [i] → (x, y)) read into two stacked tensors."""
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise DataError(
            f"The data loader {ref} returned a {type(dataset).__name__} as a split: {SHAPES}."
        )
    xs, ys = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise DataError(
                f"Item {i} of a split from the data loader {ref} is {type(item).__name__}, not "
                "an (x, y) pair."
            )
        xs.append(_tensor(item[0], f"x of item {i}", ref))
        ys.append(_tensor(item[1], f"y of item {i}", ref))
    if not xs:
        raise DataError(f"A split from the data loader {ref} is empty.")
    try:
        return torch.stack(xs), torch.stack(ys)
    except RuntimeError as exc:
        raise DataError(
            f"The items of a split from the data loader {ref} differ in shape ({exc}): every x "
            "must have one shape, and every y."
        ) from None


def _tensor(value: Any, key: str, ref: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise DataError(f"{key} from the data loader {ref} is not an array ({exc}).") from None
    if array.dtype.kind not in "biuf":
        raise DataError(
            f"{key} from the data loader {ref} holds {array.dtype} values, not numbers: return "
            "numeric arrays or tensors."
        )
    return torch.from_numpy(np.ascontiguousarray(array))


def _typed(
    t: dict[str, torch.Tensor], task: str, problems: list[str]
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """x float32 (int64 token ids for a language model); y int64 labels or float32 values."""
    x, y = {}, {}
    for split in ("train", "test"):
        xs, ys = t[f"x_{split}"], t[f"y_{split}"]
        if task == "language_model":
            for key, v in ((f"x_{split}", xs), (f"y_{split}", ys)):
                if v.is_floating_point() or v.dtype == torch.bool:
                    problems.append(f"`{key}` must hold integer token ids. Received: {v.dtype}")
            x[split], y[split] = xs.long(), ys.long()
            continue
        x[split] = xs.float()
        if task == "regression":
            y[split] = ys.float()
        elif ys.is_floating_point() and not bool((ys == ys.round()).all()):
            problems.append(
                f"`y_{split}` must hold class indices (integers) for the {task} task; it holds "
                f'fractions. For real-valued targets use task = "regression".'
            )
            y[split] = ys.long()
        else:
            y[split] = ys.long()
    return x, y


def _classes(
    extra: dict[str, Any], y: dict[str, torch.Tensor], task: str, problems: list[str]
) -> list[str]:
    """Class (or token) names: given by the loader, else 0..max label."""
    if task == "regression":
        return []
    given = extra.get("classes", extra.get("vocab_size"))
    if isinstance(given, int) and not isinstance(given, bool) and given > 0:
        return [str(i) for i in range(given)]
    if isinstance(given, list | tuple) and given:
        return [str(c) for c in given]
    if given is not None:
        problems.append(f"`classes` must be a list of names or a count. Received: {given!r}")
    top = max((int(v.max()) for v in y.values() if v.numel()), default=-1)
    return [str(i) for i in range(max(top + 1, 2 if task == "binary" else 1))]


def _check(
    x: dict[str, torch.Tensor], y: dict[str, torch.Tensor], task: str, classes: int,
    problems: list[str],
) -> None:  # fmt: skip
    for split in ("train", "test"):
        xs, ys = x[split], y[split]
        if len(xs) == 0:
            problems.append(f"the {split} split is empty: return at least one example.")
            continue
        if len(xs) != len(ys):
            problems.append(f"x_{split} has {len(xs)} examples but y_{split} has {len(ys)}.")
        if xs.is_floating_point() and not bool(torch.isfinite(xs).all()):
            problems.append(f"x_{split} holds NaN or infinite values: clean or impute them.")
        if ys.is_floating_point() and not bool(torch.isfinite(ys).all()):
            problems.append(f"y_{split} holds NaN or infinite values.")
        problems += _task_problems(xs, ys, task, classes, split)
    if x["train"].shape[1:] != x["test"].shape[1:]:
        problems.append(
            f"x_train's examples are {tuple(x['train'].shape[1:])} but x_test's are "
            f"{tuple(x['test'].shape[1:])}: both splits need one shape."
        )


def _task_problems(
    xs: torch.Tensor, ys: torch.Tensor, task: str, classes: int, split: str
) -> list[str]:
    if task == "regression":
        return [] if ys.dim() in (1, 2) else [f"y_{split} must be [N] or [N, D] real values."]
    if task == "language_model":
        out = []
        if xs.dim() != 2 or ys.shape != xs.shape:
            out.append(
                f"a language model takes token sequences: x_{split} [N, T] and y_{split} of the "
                f"same shape (the next tokens). Received x {tuple(xs.shape)}, y {tuple(ys.shape)}."
            )
        for key, v in ((f"x_{split}", xs), (f"y_{split}", ys)):
            if v.numel() and (int(v.min()) < 0 or int(v.max()) >= classes):
                out.append(f"{key} has token ids outside 0..{classes - 1} (the vocabulary).")
        return out
    if ys.dim() != 1:
        return [f"y_{split} must be one class index per example, [N]; it is {tuple(ys.shape)}."]
    if ys.numel() and (int(ys.min()) < 0 or int(ys.max()) >= classes):
        return [
            f"y_{split} has labels outside the classes 0..{classes - 1} "
            f"(found {int(ys.min())}..{int(ys.max())})."
        ]
    if task == "binary" and classes != 2:
        return [f"a binary task takes labels 0 and 1; the loader names {classes} classes."]
    return []


def _first(
    x: torch.Tensor, y: torch.Tensor, wanted: int | None, split: str, problems: list[str]
) -> tuple[torch.Tensor, torch.Tensor]:
    if wanted is None:
        return x.contiguous(), y.contiguous()
    if wanted > len(y):
        problems.append(
            f"`{split}_size` must be at most {len(y)}: the loader gave {len(y)} {split} "
            f"examples. Received: {split}_size={wanted}"
        )
    n = min(wanted, len(y))
    return x[:n].contiguous(), y[:n].contiguous()


__all__ = ["load_from_loader"]
