"""The user's own code in a study: a model factory, a data loader, a loss, and the task.

    task = "regression"              # classification, binary, regression, language_model
    loss = "mse"                     # one of the task's losses, or "losses.py:my_loss"

    [model]
    factory = "nets.py:build"                 # or "mypackage.nets:build"
    init = "torch"                            # "keras": Glorot re-initialisation, as built-ins
    kwargs = { width = 64 }                   # build(input_shape, num_outputs, width=64)

    [dataset]
    loader = "data.py:load"                   # returns the splits (data/loader.py)
    name = "diabetes"                         # a display name (default: the function's)
    kwargs = { seed = 0 }                     # load(seed=0)

Each reference is resolved now, while the study is checked (a file path against the study
file's folder, then the current folder): a path that does not exist, a module that fails to
import and a missing name are problems reported with the others, before anything trains. File
references are stored absolute (worker processes may start elsewhere) with a hash of the file,
which is part of every trial's id: an edited model file makes new trials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optbench.core.errors import OptbenchError
from optbench.core.imports import (
    is_file_reference,
    is_object_reference,
    is_reference,
    load_object,
    reference_to,
    source_digest,
    split_reference,
    where,
)
from optbench.core.registry import suggest
from optbench.core.settings import Choice, Integer, Optional, unknown_keys
from optbench.core.specs import DatasetSpec, ModelSpec, freeze
from optbench.core.study_toml import FACTORY_KEYS, LOADER_KEYS
from optbench.models import FACTORY, MODELS, TASKS


def is_factory_reference(text: str) -> bool:
    """`nets.py:build`, `pkg.nets:build` — not a built-in model's `mlp:128` form (a name then
    sizes: `mlpp:128` is a misspelt built-in, reported as such)."""
    left, _, name = text.rpartition(":")
    return bool(left) and left.lower() not in MODELS and name.isidentifier()


def resolved(ref: Any, what: str, base: Path | None) -> tuple[str, str | None]:
    """(the reference with a file made absolute, the hash of its file); loads it to check.
    A Python object (a function handed to optbench.compare) gets a reference of its own."""
    if not isinstance(ref, str):
        return reference_to(ref)
    if is_object_reference(ref):
        load_object(ref, what, base)
        return ref, None
    load_object(ref, what, base)
    left, name = split_reference(ref, what)
    path = where(ref, what, base)
    if is_file_reference(left) and path is not None:
        ref = f"{path}:{name}"
    return ref, source_digest(path)


def factory_model(
    table: dict[str, Any], profile: str, base: Path | None, problems: list[str]
) -> ModelSpec | None:
    """`[model] factory = …`: the user's model (models/factory.py)."""
    hint = "The factory's own arguments go in `model.kwargs`."
    unknown_keys(table, FACTORY_KEYS, "model.", problems, hint)
    kwargs = _kwargs(table.get("kwargs", {}), "model.kwargs", problems)
    init, problem = Choice("torch", "keras")("init", table.get("init", profile), "model.")
    if problem:
        problems.append(problem)
        init = profile
    try:
        ref, source = resolved(table["factory"], "model factory", base)
    except OptbenchError as exc:
        problems.append(str(exc))
        return None
    return ModelSpec(name=FACTORY, factory=ref, kwargs=kwargs, source=source, init=init)


def loader_dataset(
    table: dict[str, Any], base: Path | None, problems: list[str]
) -> DatasetSpec | None:
    """`[dataset] loader = …`: the user's data (data/loader.py)."""
    hint = "The loader's own arguments go in `dataset.kwargs`."
    unknown_keys(table, LOADER_KEYS, "dataset.", problems, hint)
    kwargs = _kwargs(table.get("kwargs", {}), "dataset.kwargs", problems)
    sizes = {}
    for key in ("train_size", "test_size"):
        value, problem = Optional(Integer(1, 10**9))(key, table.get(key), "dataset.")
        if problem:
            problems.append(problem)
        elif value is not None:
            sizes[key] = value
    try:
        ref, source = resolved(table["loader"], "data loader", base)
    except OptbenchError as exc:
        problems.append(str(exc))
        return None
    name = table.get("name") or split_reference(ref, "data loader")[1]
    return DatasetSpec(
        name=str(name), scale=False, options=dict(kwargs), loader=ref, source=source, **sizes
    )


def task_and_loss(
    raw: dict[str, Any], base: Path | None, problems: list[str]
) -> tuple[str, str, str | None]:
    """(task, loss, hash of a `module:function` loss's file)."""
    task = raw.get("task", "classification")
    if task not in TASKS:
        problems.append(
            f"`task` must be one of {', '.join(TASKS.names())}. Received: task={task!r}"
            f"{suggest(str(task), TASKS.names())}"
        )
        task = "classification"
    info = TASKS.get(task)
    loss = raw.get("loss", info.default_loss)
    if callable(loss):  # a function handed to optbench.compare
        loss, source = reference_to(loss)
        return task, loss, source
    if not isinstance(loss, str):
        problems.append(f"`loss` must be a name or 'module:function'. Received: loss={loss!r}")
        return task, info.default_loss, None
    source = None
    try:
        if is_reference(loss):
            loss, source = resolved(loss, "loss", base)
        info.loss_info(loss)
    except OptbenchError as exc:
        problems.append(str(exc))
        return task, info.default_loss, None
    return task, loss, source


def _kwargs(value: Any, key: str, problems: list[str]) -> tuple[tuple[str, Any], ...]:
    """Keyword arguments as sorted (name, value) pairs; values are numbers, strings, booleans
    or lists of them (lists become tuples: a spec stays hashable)."""
    if not isinstance(value, dict):
        problems.append(f"`{key}` must be a table of keyword arguments. Received: {value!r}")
        return ()
    nested = [k for k, v in value.items() if isinstance(v, dict)]
    if nested:
        problems.append(f"`{key}` values must be numbers, strings, booleans or lists: {nested}.")
        return ()
    return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
