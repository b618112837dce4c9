"""Study files (TOML) and flag dictionaries → a validated StudySpec, every problem at once.

The `compare` command builds the same raw dictionary from its flags, so a study file and its
flag form are validated by one code path and mean exactly the same thing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optbench.core.errors import ConfigError, OptbenchError
from optbench.core.imports import is_reference
from optbench.core.paths import checked_path
from optbench.core.registry import suggest
from optbench.core.specs import (
    MAX_TRIALS,
    MAX_TRIALS_CEILING,
    DatasetSpec,
    HeadSpec,
    ModelSpec,
    OptimizerSpec,
    StudySpec,
)
from optbench.core.study_name import name_problem
from optbench.core.study_toml import study_dict_to_toml
from optbench.data import DATASETS
from optbench.models import HEAD_ACTIVATIONS, LOSSES, MODELS, validate_model
from optbench.optim import expand_optimizer_grid, grid_axes, parse_optimizer, resolve_optimizer
from optbench.plan.checks import (
    address_problem,
    lr_grid_problem,
    repeated_heads_problem,
    repeated_problem,
)
from optbench.plan.expand import expand
from optbench.plan.limits import (
    grid_problem,
    study_file_problem,
    trial_count_problem,
)
from optbench.plan.reference import check_groups, parse_reference
from optbench.plan.user_code import (
    factory_model,
    is_factory_reference,
    loader_dataset,
    task_and_loss,
)

DEFAULT_LR_GRID = StudySpec.__dataclass_fields__["lr_grid"].default
MAX_EPOCHS = 100_000  # beyond this a typo is likelier than a plan
MAX_BATCH = 10_000_000
PROFILES = ("torch", "keras")
EXECUTORS = ("local", "ray")

_TOP_KEYS = (
    "name",
    "epochs",
    "batch_size",
    "seeds",
    "profile",
    "loss",
    "device",
    "executor",
    "workers",
    "histogram_freq",
    "monitors",
    "stop_on",
    "reuse_model",
    "stack",
    "native",
    "tune",
    "lr_grid",
    "heads",
    "address",
    "num_cpus",
    "num_gpus",
    "max_trials",
    "dataset",
    "model",
    "optimizers",
    "task",
    "reference",
)
_DATASET_KEYS = (
    "name",
    "path",
    "scale",
    "train_size",
    "test_size",
    "classes",
    "size",
    "color",
    "augment",
    "sha256",
)
_DATASET_OPTIONS = ("classes", "size", "color", "augment", "sha256")
_HEAD_KEYS = ("units", "activation", "loss")
_MODEL_KEYS = ("name", "hidden", "activation", "init", "head_units", "head_activation")


def load_study_file(path: Path, overrides: dict[str, Any] | None = None) -> StudySpec:
    """Read and validate a TOML study file; `overrides` (flags such as --executor) replace
    its keys before validation, so they obey the same rules as the file."""
    raw = {**read_study_file(path), **(overrides or {})}
    return parse_study(raw, source=f"study file {path}", base=path.parent)


def read_study_file(path: Path) -> dict[str, Any]:
    """The raw table of a TOML study file (`name` defaults to the file's stem); a file that is
    missing, not a regular file, too large, not UTF-8 or not TOML is a ConfigError."""
    text = _study_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Study file {path} is not valid TOML: {exc}. "
            "See studies/seed-mnist.toml for an example."
        ) from None
    raw.setdefault("name", path.stem)
    return raw


def _study_text(path: Path) -> str:
    """The file's text: checked to be a regular file of a sane size before it is read."""
    path = checked_path(path, "study file")
    try:
        if path.is_dir():
            raise ConfigError(
                f"Study file {path} is a folder, not a TOML file. To continue a study "
                f"folder, run `optbench resume {path}`; to run a study, give its .toml file."
            )
        if path.exists() and not path.is_file():
            raise ConfigError(f"Study file {path} is not a regular file. Give a .toml file.")
        problem = study_file_problem(path.stat().st_size) if path.exists() else None
        if problem:
            raise ConfigError(f"Study file {path}: {problem}")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Study file {path} does not exist.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Study file {path} is not UTF-8 text ({exc}).") from None
    except OSError as exc:
        raise ConfigError(
            f"Study file {path} cannot be read ({exc.strerror or exc}). Check the path and "
            "its permissions."
        ) from None


def parse_study(
    raw: dict[str, Any], *, source: str = "study", base: Path | None = None
) -> StudySpec:
    """Validate a raw study dictionary; raise one ConfigError listing every problem.
    `base`: the folder relative file references (your model, data, loss) start from."""
    problems: list[str] = []
    _unknown_keys(raw, _TOP_KEYS, "", problems)
    profile = _choice(raw, "profile", PROFILES, "torch", problems)
    task, loss, loss_source = task_and_loss(raw, base, problems)
    max_trials = _optional_int(raw, "max_trials", 1, MAX_TRIALS_CEILING, problems)
    limit = max_trials or MAX_TRIALS
    spec_args: dict[str, Any] = {
        "name": _name(raw, problems),
        "epochs": _int_in(raw, "epochs", 10, 1, MAX_EPOCHS, problems),
        "batch_size": _int_in(raw, "batch_size", 64, 1, MAX_BATCH, problems),
        "seeds": _seeds(raw.get("seeds", [0]), problems),
        "task": task,
        "loss": loss,
        "loss_source": loss_source,
        "device": _device(raw.get("device", "cpu"), problems),
        "executor": _choice(raw, "executor", EXECUTORS, "local", problems),
        "workers": _optional_int(raw, "workers", 1, 4096, problems),
        "histogram_freq": _int_in(raw, "histogram_freq", 1, 0, MAX_EPOCHS, problems),
        "monitors": _typed(raw, "monitors", bool, True, problems),
        "stop_on": _stop_on(raw.get("stop_on", ["train.nan_loss"]), problems),
        "reuse_model": _typed(raw, "reuse_model", bool, False, problems),
        "stack": _typed(raw, "stack", bool, True, problems),
        "native": _typed(raw, "native", bool, True, problems),
        "tune": _choice(raw, "tune", ("", "lr"), "", problems),
        "lr_grid": _lr_grid(raw.get("lr_grid", list(DEFAULT_LR_GRID)), problems),
        "heads": _heads(raw.get("heads", []), problems),
        "address": _typed(raw, "address", str, None, problems),
        "num_cpus": _number_in(raw, "num_cpus", 1.0, 0.0, 1024.0, problems),
        "num_gpus": _number_in(raw, "num_gpus", 0.0, 0.0, 64.0, problems),
        "dataset": _dataset(raw.get("dataset"), base, problems),
        "model": _model(raw.get("model", "mlp"), profile, base, problems),
        "optimizers": _optimizers(raw.get("optimizers"), profile, limit, problems),
        "reference": parse_reference(raw.get("reference"), problems),
        "max_trials": max_trials,
    }
    _together(spec_args, problems)
    if problems:
        raise ConfigError.collect(problems, source=source)
    study = StudySpec(**spec_args)
    _add(problems, trial_count_problem(study))
    if study.reference is not None and not problems:  # its groups must be the study's own
        check_groups(study.reference, list(dict.fromkeys(t.group for t in expand(study))), problems)
    if problems:
        raise ConfigError.collect(problems, source=source)
    return study


def _name(raw: dict[str, Any], problems: list[str]) -> str:
    """The study's name: it becomes the folder runs/<name>, so it must be one folder name."""
    name = _typed(raw, "name", str, "study", problems)
    if isinstance(raw.get("name"), str):
        _add(problems, name_problem(name))
    return name


def _together(args: dict[str, Any], problems: list[str]) -> None:
    """Settings that only mean something together, and grids that repeat a value."""
    _add(problems, lr_grid_problem(args["lr_grid"], DEFAULT_LR_GRID, args["tune"]))
    if args["tune"] == "lr":
        _add(problems, repeated_problem("lr_grid", args["lr_grid"]))
    _add(problems, repeated_heads_problem(args["heads"]))
    _add(problems, address_problem(args["address"], args["executor"]))


def _add(problems: list[str], problem: str | None) -> None:
    if problem:
        problems.append(problem)


# -- sections -------------------------------------------------------------------------------


def _dataset(value: Any, base: Path | None, problems: list[str]) -> DatasetSpec | None:
    if value is None:
        problems.append('`dataset` is required, e.g. dataset = "fashion-mnist".')
        return None
    table = {"name": value} if isinstance(value, str) else value
    if isinstance(value, str) and is_reference(value):
        table = {"loader": value}  # `--data data.py:load`
    if not isinstance(table, dict):
        problems.append(f"`dataset` must be a name or a table. Received: {value!r}")
        return None
    if "loader" in table:
        return loader_dataset(table, base, problems)
    _unknown_keys(table, _DATASET_KEYS, "dataset.", problems)
    name = _typed(table, "name", str, None, problems, prefix="dataset.")
    if name is None:
        problems.append("`dataset.name` is required.")
        return None
    if name not in DATASETS:
        problems.append(
            f"Unknown dataset '{name}'.{suggest(name, DATASETS.names())} "
            f"Known: {', '.join(DATASETS.names())}."
        )
    path = _typed(table, "path", str, None, problems, prefix="dataset.")
    if path is not None:
        path = _collecting(problems, lambda: str(checked_path(path, "`dataset.path`")))
    options = {k: table[k] for k in _DATASET_OPTIONS if k in table}
    return DatasetSpec(
        name=name,
        path=str(Path(path).expanduser()) if path else None,
        scale=_typed(table, "scale", bool, True, problems, prefix="dataset."),
        train_size=_optional_int(table, "train_size", 1, 10**9, problems, prefix="dataset."),
        test_size=_optional_int(table, "test_size", 1, 10**9, problems, prefix="dataset."),
        options=options,
    )


def _model(value: Any, profile: str, base: Path | None, problems: list[str]) -> ModelSpec | None:
    table = {"name": value} if isinstance(value, str) else value
    if isinstance(value, str) and is_factory_reference(value):
        table = {"factory": value}  # `--model nets.py:build`
    if not isinstance(table, dict):
        problems.append(f"`model` must be a name or a table. Received: {value!r}")
        return None
    if "factory" in table:
        return factory_model(table, profile, base, problems)
    _unknown_keys(table, _MODEL_KEYS, "model.", problems)
    name = table.get("name", "mlp")
    default = list(MODELS.get(name).default_hidden) if name in MODELS else [128]
    hidden = table.get("hidden", default)
    if isinstance(hidden, int):
        hidden = [hidden]
    if not (
        isinstance(hidden, list)
        and hidden
        and all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden)
    ):
        problems.append(f"`model.hidden` must be a list of positive integers. Received: {hidden!r}")
        hidden = [128]
    spec = ModelSpec(
        name=_typed(table, "name", str, "mlp", problems, prefix="model."),
        hidden=tuple(hidden),
        activation=_typed(table, "activation", str, "relu", problems, prefix="model."),
        init=_typed(table, "init", str, profile, problems, prefix="model."),  # type: ignore[arg-type]
        head_units=_optional_int(table, "head_units", 1, 100_000, problems, prefix="model."),
        head_activation=_typed(table, "head_activation", str, "linear", problems, "model."),
    )
    return _collecting(problems, lambda: (validate_model(spec), spec)[1])


def _optimizers(
    value: Any, profile: str, limit: int, problems: list[str]
) -> tuple[OptimizerSpec, ...]:
    if not value or not isinstance(value, list):
        problems.append(
            "`optimizers` must be a non-empty list, e.g. "
            'optimizers = ["adam", "adagrad", "rmsprop"].'
        )
        return ()
    specs: list[OptimizerSpec] = []
    for i, item in enumerate(value):
        spec = _collecting(
            problems,
            lambda item=item: _optimizer(item, profile, limit),
            where=f"optimizers[{i}]",
        )
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def _optimizer(item: Any, profile: str, limit: int) -> OptimizerSpec:
    spec = _optimizer_spec(item, profile)
    problems = [grid_problem(spec, limit)]  # before a million points are built
    if problems[0] is None:
        problems = [repeated_problem(k, v) for k, v in grid_axes(spec).items() if len(v) > 1]
    if any(problems):
        raise ConfigError.collect([p for p in problems if p])
    for point in expand_optimizer_grid(spec):  # every grid point must be a valid optimizer
        resolve_optimizer(point)
    return spec


def _optimizer_spec(item: Any, profile: str) -> OptimizerSpec:
    if isinstance(item, str):
        return parse_optimizer(item, profile=profile)
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise ConfigError(
            f"each optimizer must be a name or a table with `name`. Received: {item!r}"
        )
    hparams = {k: v for k, v in item.items() if k not in ("name", "profile")}
    item_profile = item.get("profile", profile)
    if item_profile not in PROFILES:
        raise ConfigError(f"`profile` must be 'torch' or 'keras'. Received: {item_profile!r}")
    base = parse_optimizer(item["name"], profile=item_profile)
    return OptimizerSpec(base.name, {**base.hparams, **hparams}, item_profile)


# -- field helpers --------------------------------------------------------------------------


def _collecting(problems: list[str], make: Callable[[], Any], where: str = "") -> Any:
    try:
        return make()
    except OptbenchError as exc:
        problems.extend(
            f"{where}: {p}" if where else p for p in getattr(exc, "problems", [str(exc)])
        )
        return None


def _unknown_keys(
    table: dict[str, Any], known: tuple[str, ...], prefix: str, problems: list[str]
) -> None:
    for key in table:
        if key not in known:
            problems.append(
                f"Unknown key `{prefix}{key}`.{suggest(key, known)} Known: {', '.join(known)}."
            )


def _typed(
    table: dict[str, Any], key: str, kind: type, default: Any, problems: list[str], prefix: str = ""
) -> Any:
    value = table.get(key, default)
    if value is None or (
        isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    ):
        return value
    problems.append(f"`{prefix}{key}` must be {kind.__name__}. Received: {key}={value!r}")
    return default


def _int_in(
    table: dict[str, Any],
    key: str,
    default: int,
    low: int,
    high: int,
    problems: list[str],
    prefix: str = "",
) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(f"`{prefix}{key}` must be an integer. Received: {key}={value!r}")
        return default
    if not low <= value <= high:
        problems.append(
            f"`{prefix}{key}` must be between {low} and {high}. Received: {key}={value}"
        )
        return default
    return value


def _optional_int(
    table: dict[str, Any], key: str, low: int, high: int, problems: list[str], prefix: str = ""
) -> int | None:
    if table.get(key) is None:
        return None
    return _int_in(table, key, low, low, high, problems, prefix)


def _choice(
    table: dict[str, Any], key: str, choices: tuple[str, ...], default: str, problems: list[str]
) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or value not in choices:
        named = ", ".join(c or "'' (none)" for c in choices)
        problems.append(
            f"`{key}` must be one of {named}. Received: {key}={value!r}"
            f"{suggest(str(value), choices)}"
        )
        return default
    return value


def _seeds(value: Any, problems: list[str]) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    ok = (
        isinstance(value, list)
        and value
        and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in value)
    )
    if not ok:
        problems.append(
            f"`seeds` must be a non-empty list of integers in [0, 2^31). Received: seeds={value!r}"
        )
        return (0,)
    if len(set(value)) != len(value):
        problems.append(f"`seeds` has duplicates. Received: seeds={value!r}")
    return tuple(value)


def _heads(value: Any, problems: list[str]) -> tuple[HeadSpec, ...]:
    """`heads = [{units = 1, activation = "sigmoid", loss = "bce"}, …]` (units omitted = C)."""
    if not isinstance(value, list):
        problems.append(f"`heads` must be a list of tables. Received: heads={value!r}")
        return ()
    heads = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append(f"heads[{i}] must be a table. Received: {item!r}")
            continue
        _unknown_keys(item, _HEAD_KEYS, f"heads[{i}].", problems)
        head = HeadSpec(
            units=_optional_int(item, "units", 1, 100_000, problems, prefix=f"heads[{i}]."),
            activation=_typed(item, "activation", str, "linear", problems, f"heads[{i}]."),
            loss=_typed(item, "loss", str, "cross_entropy", problems, f"heads[{i}]."),
        )
        if head.activation not in HEAD_ACTIVATIONS:
            hint = suggest(head.activation, HEAD_ACTIVATIONS)
            problems.append(
                f"heads[{i}]: unknown activation '{head.activation}'.{hint} "
                f"Known: {', '.join(HEAD_ACTIVATIONS)}."
            )
        if head.loss not in LOSSES:
            problems.append(
                f"heads[{i}]: unknown loss '{head.loss}'.{suggest(head.loss, LOSSES.names())} "
                f"Known: {', '.join(LOSSES.names())}."
            )
        heads.append(head)
    return tuple(heads)


def _number_in(
    table: dict[str, Any], key: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problems.append(
            f"`{key}` must be a number in [{low:g}, {high:g}]. Received: {key}={value!r}"
        )
        return default
    return float(value)


def _lr_grid(value: Any, problems: list[str]) -> tuple[float, ...]:
    ok = (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in value)
    )
    if not ok:
        problems.append(
            f"`lr_grid` must list at least two positive learning rates. Received: lr_grid={value!r}"
        )
        return DEFAULT_LR_GRID
    return tuple(float(v) for v in value)


def _stop_on(value: Any, problems: list[str]) -> tuple[str, ...]:
    """Finding codes (`train.nan_loss`) or their last part (`nan_loss`, `diverged`)."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"`stop_on` must be a list of finding codes. Received: stop_on={value!r}")
        return ("train.nan_loss",)
    return tuple(value)


def _device(value: Any, problems: list[str]) -> str:
    ok = isinstance(value, str) and (
        value in ("cpu", "cuda", "mps") or (value.startswith("cuda:") and value[5:].isdigit())
    )
    if not ok:
        problems.append(f"`device` must be cpu, cuda, cuda:N or mps. Received: device={value!r}")
        return "cpu"
    return value


def study_to_toml(study: StudySpec) -> str:
    """The study in study-file form: `optbench run config.toml` runs it again."""
    return study_dict_to_toml(study.to_dict())
