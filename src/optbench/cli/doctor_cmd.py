"""`optbench doctor`: everything knowable before training, checked on real data, no training.

    optbench doctor studies/seed-heads.toml
    optbench doctor studies/homework-mistakes.toml        # exit 1: names both mistakes
    optbench doctor --dataset fashion-mnist --classes t-shirt,shirt --heads 1:softmax:bce

Three parts, each a list of findings with its fix:
  * the study itself: one model reused across optimizers, a learning-rate grid too narrow to
    tune (diagnose.check_study_design);
  * the data: NaN or constant inputs, labels unrelated to the inputs, unscaled inputs,
    imbalanced labels (diagnose.check_data);
  * each distinct model + loss, built as its first trial would be (same seed, as many outputs
    as the task needs) and checked on that trial's first batch: head, loss, labels, whether
    a language model sees the tokens it predicts, and the untrained loss against the task's
    levels (diagnose.setup_check). Regression and language-model studies (`task = …`) are
    checked as their task reads the data: targets against the head's range, tokens.
A finding that follows from another one shown above says so.

Exit codes: 0 — nothing at or above `--fail-on` (default: error); 1 — a finding at or above
it (like a linter, so CI can gate on it); 2 — the study or flags themselves are invalid.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optbench.cli.findings_view import print_heads, print_section
from optbench.cli.heads_cmd import console, describe_data, heads_study
from optbench.cli.study_cmd import _cache_dir
from optbench.core.errors import ConfigError, OptbenchError
from optbench.core.specs import Finding, StudySpec
from optbench.core.startup import collector_paused

if TYPE_CHECKING:
    from optbench.data import Dataset

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
    """Check the study, its data, heads, losses and labels before training; exit 1 if
    something cannot work."""
    if fail_on not in FAIL_ON:
        raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON)}. Received: {fail_on!r}")
    with collector_paused():  # torch and the rest, only when the command runs (not for --help)
        from optbench import api
        from optbench.cli.doctor_imports import print_import_note
        from optbench.data import load_dataset
        from optbench.diagnose import check_data, check_study_design
        from optbench.diagnose.setup_check import check_study
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
            settings={"epochs": 1, "batch_size": batch_size, "seeds": [seed]},
            data_path=data_path,
            size=size,
            name="doctor",
        )
    data = load_dataset(study.dataset, _cache_dir(), task=study.task)
    design, data_findings = check_study_design(study), check_data(data)
    shared = [*design, *data_findings]
    print_section(console, f"Study '{study.name}'", design, shared)
    print_section(
        console,
        f"Data: {study.dataset.name}, {len(data.train)} training examples",
        data_findings,
        shared,
    )
    per_head = check_study(study, data)
    errors, warnings = print_heads(console, per_head, _describe(study, data), shared)
    console.print(f"{errors} head(s) with errors, {warnings} with warnings only.")
    _verdict(fail_on, [*shared, *(f for found in per_head.values() for f in found)])


def _describe(study: StudySpec, data: Dataset) -> str:
    """What the heads are checked on: the classes, or what a regression or language-model
    batch holds (a vocabulary is not a list of classes to print)."""
    batch = f"the first batch of {study.batch_size} examples"
    if data.task == "regression":
        width = data.num_outputs
        targets = "one target" if width == 1 else f"{width} targets"
        return f"{study.dataset.name} (regression, {targets} per example), {batch}"
    if data.task == "language_model":
        length = data.input_shape[0] if data.input_shape else "?"
        return (
            f"{study.dataset.name} (language model, {data.num_classes} tokens, sequences of "
            f"{length}), {batch}"
        )
    return describe_data(study, data)


def _verdict(fail_on: str, findings: list[Finding]) -> None:
    failing = [
        f
        for f in findings
        if f.severity == "error" or (fail_on == "warning" and f.severity == "warning")
    ]
    if fail_on == "never" or not failing:
        return
    codes = ", ".join(dict.fromkeys(f.code for f in failing))
    raise SetupFailed(
        f"{len(failing)} finding(s) at or above --fail-on {fail_on} ({codes}); see the fixes above."
    )


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
