"""`optbench compare` (flags) and `optbench run` (a study file): one study, two front ends.

Training needs torch and the rest of optbench: each command imports them when it runs
(`collector_paused`), so `optbench compare --help` answers without them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from optbench.cli.paths import out_folder
from optbench.cli.progress import RichProgress
from optbench.cli.render import print_results
from optbench.cli.settings_options import SETTINGS, with_settings
from optbench.core.errors import ConfigError
from optbench.core.paths import checked_path, default_cache_dir
from optbench.core.startup import collector_paused
from optbench.core.study_name import safe_name
from optbench.report import open_study

console = Console(soft_wrap=True)


def _cache_dir() -> Path:
    """OPTBENCH_CACHE overrides the default cache (only the CLI reads the environment)."""
    env = os.environ.get("OPTBENCH_CACHE")
    return Path(env).expanduser() if env else default_cache_dir()


def execute(study: Any, out: Path | None) -> None:
    """Run a study with a live progress bar, then print the results and where they are."""
    with collector_paused():
        from optbench import api

    spec = api.load_study(study)
    with RichProgress(console) as progress:
        outcome = api.run_study(spec, out, cache_dir=_cache_dir(), progress=progress)
    print_results(console, open_study(outcome.folder))
    console.print(f"Report:      {outcome.report}", markup=False, highlight=False)
    console.print(f"TensorBoard: tensorboard --logdir {outcome.folder}", markup=False)
    if outcome.failed:
        console.print(f"[red]{outcome.failed} trial(s) failed or stopped; see the report.[/]")


def compare(
    dataset: str = typer.Option(
        ...,
        "--dataset",
        "-d",
        help="mnist, fashion-mnist, digits, …, or your loader: 'data.py:load' or 'pkg.mod:load'.",
    ),
    optimizers: str = typer.Option(
        "adam,adagrad,rmsprop",
        "--optimizers",
        "-o",
        help="Comma list; hyperparameters after a colon: 'adam:lr=3e-4,betas=0.9,0.99,sgd'. "
        "Your own class: 'mypkg.optim:Lion'.",
    ),
    profile: str = typer.Option("torch", help="Defaults and update rules: torch or keras."),
    model: str = typer.Option(
        "mlp:128",
        help="Model: 'mlp:128' (the seed's), 'mlp:256,128', or your factory: 'nets.py:build'.",
    ),
    task: str = typer.Option(
        "classification", help="classification, binary, regression or language_model."
    ),
    loss: str | None = typer.Option(
        None, help="The loss (default: the task's), or your own: 'losses.py:my_loss'."
    ),
    init: str | None = typer.Option(None, help="Weight init: torch or keras (default: --profile)."),
    scale: bool = typer.Option(
        True,
        "--scale/--no-scale",
        help="Scale inputs to [0, 1]; --no-scale reproduces the seed's 0–255.",
    ),
    data_path: str | None = typer.Option(
        None, "--data-path", help="Local dataset: a folder of IDX files or mnist.npz."
    ),
    train_size: int | None = typer.Option(None, help="Keep only the first N training examples."),
    test_size: int | None = typer.Option(None, help="Keep only the first N test examples."),
    name: str | None = typer.Option(
        None, help="Study name (default: from dataset and optimizers)."
    ),
    out: str | None = typer.Option(None, help="Study folder (default: runs/<name>)."),
    *,
    settings: dict[str, Any],
) -> None:
    """Compare optimizers on one dataset and model: the seed study in one command."""
    with collector_paused():
        from optbench import api
        from optbench.optim import split_optimizer_list

    names = split_optimizer_list(optimizers)
    default_init = profile if profile in ("torch", "keras") else "torch"  # a bad one: said below
    sizes = {"train_size": train_size, "test_size": test_size}
    raw: dict[str, Any] = {
        **settings,
        "name": name if name is not None else _default_name(dataset, names),
        "dataset": _dataset_table(dataset, scale, data_path, sizes),
        "model": _model_table(model, init or default_init),
        "task": task,
        "optimizers": names,
        "profile": profile,
        **({"loss": loss} if loss is not None else {}),
    }
    execute(api.parse_study(raw), out_folder(out))


def run(
    study_file: Path = typer.Argument(..., help="A TOML study file (see studies/)."),
    out: str | None = typer.Option(None, help="Study folder (default: runs/<name>)."),
    *,
    settings: dict[str, Any],
) -> None:
    """Run (or resume) the study described by a TOML file; flags override its settings."""
    with collector_paused():
        from optbench import api

    if settings.get("executor") == "local" and "address" not in settings:
        settings["address"] = None  # the file's Ray address means nothing on this machine
    # Overrides join the file's keys before validation: the same rules as in the file.
    execute(api.load_study(study_file, settings), out_folder(out))


def resume(
    study_dir: Path = typer.Argument(..., help="A study folder, e.g. runs/my-study."),
) -> None:
    """Continue an interrupted study: finished trials are kept, the rest resume from their
    last checkpoint."""
    config = checked_path(study_dir, "study folder") / "config.toml"
    if not config.is_file():
        raise ConfigError(
            f"{study_dir} has no config.toml, so it is not a study folder optbench can resume. "
            "Check the path (see `optbench show`)."
        )
    execute(config, study_dir)


def _dataset_table(
    dataset: str, scale: bool, path: str | None, sizes: dict[str, int | None]
) -> dict[str, Any]:
    """The study file's [dataset] table for the flags (a loader reference takes no scaling)."""
    given = {k: v for k, v in sizes.items() if v is not None}
    if ":" in dataset:  # your loader (data/loader.py)
        return {"loader": dataset, **given}
    table = {"name": dataset, "scale": scale, "path": path, **given}
    return {k: v for k, v in table.items() if v is not None}


def _model_table(model: str, init: str) -> dict[str, Any]:
    """The study file's [model] table for --model (a factory reference, or a built-in)."""
    from optbench.models import parse_model
    from optbench.plan.user_code import is_factory_reference

    if is_factory_reference(model):
        return {"factory": model, "init": init}  # your factory (models/factory.py)
    spec = parse_model(model, init=init)
    return {
        "name": spec.name,
        "hidden": list(spec.hidden),
        "activation": spec.activation,
        "init": spec.init,
    }


def _default_name(dataset: str, optimizers: list[str]) -> str:
    """`fashion-mnist-adam-adagrad`: one folder name whatever the flags hold."""
    short = [o.split(":")[0].rsplit(".", 1)[-1] for o in optimizers]
    data = dataset.rpartition(":")[2] if ":" in dataset else dataset  # a loader: its name
    return safe_name("-".join([data, *short]))


# Every setting `compare` has an option for (core/settings.py); `run` overrides a few.
COMPARE_SETTINGS = tuple(name for name, (_, s) in SETTINGS.items() if s.option)
RUN_OVERRIDES = ("executor", "address", "max_trials")


def register(app: typer.Typer) -> None:
    app.command("compare")(with_settings(compare, COMPARE_SETTINGS))
    app.command("run")(with_settings(run, RUN_OVERRIDES, overrides=True))
    app.command("resume")(resume)
