"""`optbench doctor`: check a study's heads, losses and labels on real data, without training.

    optbench doctor studies/seed-heads.toml
    optbench doctor --dataset fashion-mnist --classes t-shirt,shirt --heads 1:softmax:bce

Each distinct model + loss of the study is built as its first trial would be (same seed) and
checked on that trial's first batch (see optbench.diagnose.setup_check).

Exit codes: 0 — nothing at or above `--fail-on` (default: error); 1 — a finding at or above
it (like a linter, so CI can gate on it); 2 — the study or flags themselves are invalid.
"""

from __future__ import annotations

from pathlib import Path

import typer

from optbench import api
from optbench.cli.doctor_imports import print_import_note
from optbench.cli.heads_cmd import console, describe_data, heads_study, print_findings
from optbench.cli.study_cmd import _cache_dir
from optbench.core.errors import ConfigError, OptbenchError
from optbench.data import load_dataset
from optbench.diagnose.setup_check import check_study

FAIL_ON = ("error", "warning", "never")


class SetupFailed(OptbenchError):
    """The checker found a head that cannot work: exit code 1 (2 stays "bad input")."""

    exit_code = 1


def doctor(
    study_file: Path | None = typer.Argument(
        None, help="A TOML study file; without it, the flags describe the study."
    ),
    dataset: str = typer.Option("fashion-mnist", "--dataset", "-d", help="Dataset name."),
    classes: str | None = typer.Option(
        None, help="Classes to keep ('' = all; default t-shirt,shirt for fashion-mnist)."
    ),
    model: str = typer.Option("mlp:128", help="mlp:128, convnet, …"),
    heads: str = typer.Option(
        "C:linear:cross_entropy", help="Heads to check, UNITS:ACTIVATION:LOSS, comma separated."
    ),
    profile: str = typer.Option("keras", help="keras or torch (initialisation)."),
    batch_size: int = typer.Option(20, "--batch-size", help="Examples in the checked batch."),
    seed: int = typer.Option(0, help="Seed of the model and batch."),
    data_path: str | None = typer.Option(None, "--data-path", help="Folder or file to read."),
    size: int | None = typer.Option(None, help="Image side for image folders."),
    fail_on: str = typer.Option(
        "error", help="Exit 1 on a finding of this severity or worse: error, warning, never."
    ),
) -> None:
    """Check heads, losses and labels before training; exit 1 if a head cannot work."""
    if fail_on not in FAIL_ON:
        raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON)}. Received: {fail_on!r}")
    if study_file is not None:
        print_import_note(console, study_file)  # said before the study's modules are imported
        study = api.load_study(study_file)
    else:
        study = heads_study(
            dataset=dataset,
            classes=classes,
            model=model,
            heads=heads,
            optimizer="sgd",
            profile=profile,
            init=None,
            epochs=1,
            batch_size=batch_size,
            seeds=str(seed),
            data_path=data_path,
            size=size,
            name="doctor",
        )
    data = load_dataset(study.dataset, _cache_dir())
    errors, warnings = print_findings(check_study(study, data), describe_data(study, data))
    console.print(f"{errors} head(s) with errors, {warnings} with warnings only.")
    failing = errors + (warnings if fail_on == "warning" else 0)
    if fail_on != "never" and failing:
        worst = "an error" if errors else "a warning"
        raise SetupFailed(
            f"{failing} head(s) with {worst} (--fail-on {fail_on}); see the fixes above."
        )


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
