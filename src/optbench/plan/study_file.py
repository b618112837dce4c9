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
from optbench.core.settings import (
    Check,
    Choice,
    Integer,
    ListOf,
    Optional,
    Typed,
    check_settings,
    positive_int,
    settings_of,
    unknown_keys,
)
from optbench.core.specs import (
    MAX_TRIALS,
    DatasetSpec,
    HeadSpec,
    ModelSpec,
    OptimizerSpec,
    StudySpec,
)
from optbench.core.study_name import name_problem
from optbench.core.study_toml import study_dict_to_toml
from optbench.data import DATASETS
from optbench.models import HEAD_ACTIVATIONS, LOSSES, MODELS, parse_model, validate_model
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
PROFILES = ("torch", "keras")

# Keys beside the settings (core/settings.py: declared on StudySpec and checked from there).
_SECTIONS = ("name", "profile", "task", "loss", "heads", "dataset", "model", "optimizers")
_TOP_KEYS = (*_SECTIONS[:4], *settings_of(StudySpec), *_SECTIONS[4:], "reference")
_DATASET_OPTIONS = ("classes", "size", "color", "augment", "sha256")
_DATASET_KEYS = ("name", "path", "scale", "train_size", "test_size", *_DATASET_OPTIONS)
_HEAD_KEYS = ("units", "activation", "loss")
_MODEL_KEYS = ("name", "hidden", "activation", "init", "head_units", "head_activation")
_SIZE = Optional(Integer(1, 10**9))
_UNITS = Optional(Integer(1, 100_000))
_TEXT = Typed(str)
_HIDDEN = ListOf("must be a list of positive integers", positive_int, int)


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
    unknown_keys(raw, _TOP_KEYS, "", problems)
    profile = _get(raw, "profile", Choice(*PROFILES), "torch", problems)
    task, loss, loss_source = task_and_loss(raw, base, problems)
    settings = check_settings(StudySpec, raw, problems)
    limit = settings["max_trials"] or MAX_TRIALS
    spec_args: dict[str, Any] = {
        **settings,
        "name": _name(raw, problems),
        "task": task,
        "loss": loss,
        "loss_source": loss_source,
        "heads": _heads(raw.get("heads", []), problems),
        "dataset": _dataset(raw.get("dataset"), base, problems),
        "model": _model(raw.get("model", "mlp"), profile, base, problems),
        "optimizers": _optimizers(raw.get("optimizers"), profile, limit, problems),
        "reference": parse_reference(raw.get("reference"), problems),
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
    name = _get(raw, "name", _TEXT, "study", problems)
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


def _table(value: Any, key: str, reference: str, is_ref: Any, problems: list[str]) -> Any:
    """A section given as a name, a reference to your code (`data.py:load`: the table
    `{reference = …}`) or a table; None (a problem added) when it is none of them."""
    if isinstance(value, str):
        return {reference: value} if is_ref(value) else {"name": value}
    if not isinstance(value, dict):
        problems.append(f"`{key}` must be a name or a table. Received: {value!r}")
        return None
    return value


def _dataset(value: Any, base: Path | None, problems: list[str]) -> DatasetSpec | None:
    if value is None:
        problems.append('`dataset` is required, e.g. dataset = "fashion-mnist".')
        return None
    table = _table(value, "dataset", "loader", is_reference, problems)
    if table is None:
        return None
    if "loader" in table:
        return loader_dataset(table, base, problems)
    unknown_keys(table, _DATASET_KEYS, "dataset.", problems)
    name = _get(table, "name", Optional(_TEXT), None, problems, "dataset.")
    if name is None:
        problems.append("`dataset.name` is required.")
        return None
    if name not in DATASETS:
        problems.append(
            f"Unknown dataset '{name}'.{suggest(name, DATASETS.names())} "
            f"Known: {', '.join(DATASETS.names())}."
        )
    path = _get(table, "path", Optional(_TEXT), None, problems, "dataset.")
    if path is not None:
        path = _collecting(problems, lambda: str(checked_path(path, "`dataset.path`")))
    return DatasetSpec(
        name=name,
        path=str(Path(path).expanduser()) if path else None,
        scale=_get(table, "scale", Typed(bool), True, problems, "dataset."),
        train_size=_get(table, "train_size", _SIZE, None, problems, "dataset."),
        test_size=_get(table, "test_size", _SIZE, None, problems, "dataset."),
        options={k: table[k] for k in _DATASET_OPTIONS if k in table},
    )


def _model(value: Any, profile: str, base: Path | None, problems: list[str]) -> ModelSpec | None:
    if isinstance(value, str) and ":" in value and not is_factory_reference(value):
        # `mlp:256,128,activation=tanh`: the form `compare --model` and optbench.compare take
        return _collecting(problems, lambda: parse_model(value, init=profile))
    table = _table(value, "model", "factory", is_factory_reference, problems)
    if table is None:
        return None
    if "factory" in table:
        return factory_model(table, profile, base, problems)
    unknown_keys(table, _MODEL_KEYS, "model.", problems)
    name = _get(table, "name", _TEXT, "mlp", problems, "model.")
    default = MODELS.get(name).default_hidden if name in MODELS else (128,)
    spec = ModelSpec(
        name=name,
        hidden=_get(table, "hidden", _HIDDEN, tuple(default), problems, "model."),
        activation=_get(table, "activation", _TEXT, "relu", problems, "model."),
        init=_get(table, "init", _TEXT, profile, problems, "model."),
        head_units=_get(table, "head_units", _UNITS, None, problems, "model."),
        head_activation=_get(table, "head_activation", _TEXT, "linear", problems, "model."),
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
    item_profile, problem = Choice(*PROFILES)("profile", item.get("profile", profile))
    if problem:
        raise ConfigError(problem)
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


def _get(
    table: dict[str, Any], key: str, check: Check, default: Any, problems: list[str], prefix=""
) -> Any:
    """`table[key]` passed through `check`; `default` when it is absent or wrong."""
    if key not in table:
        return default
    value, problem = check(key, table[key], prefix)
    if problem:
        problems.append(problem)
        return default
    return value


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
        where = f"heads[{i}]."
        unknown_keys(item, _HEAD_KEYS, where, problems)
        head = HeadSpec(
            units=_get(item, "units", _UNITS, None, problems, where),
            activation=_get(item, "activation", _TEXT, "linear", problems, where),
            loss=_get(item, "loss", _TEXT, "cross_entropy", problems, where),
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


def study_to_toml(study: StudySpec) -> str:
    """The study in study-file form: `optbench run config.toml` runs it again."""
    return study_dict_to_toml(study.to_dict())
