"""`optbench heads`: the seed's Q4 as one study — output units × activation × loss, side by side.

Every head trains on the same binary task from the same seed (the shared layers start
bit-identical, the batches come in the same order), the static checker speaks before
training, and the report gives each head a verdict and its explanation.

The data, the checker and the models need torch: the command imports them when it runs, so
`optbench heads --help` answers without them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from optbench.cli.findings_view import print_heads
from optbench.cli.paths import out_folder
from optbench.cli.settings_options import with_settings
from optbench.cli.study_cmd import _cache_dir, execute
from optbench.core.errors import ConfigError
from optbench.core.specs import StudySpec
from optbench.core.startup import collector_paused
from optbench.core.study_name import safe_name

console = Console(soft_wrap=True)  # findings are long sentences: never hard-wrap them

# The seed's four heads, under tf.keras' binary_crossentropy (`keras_bce`), the 1-unit softmax
# again under plain probability BCE, then the canonical heads.
SEED_HEADS = "1:softmax:keras_bce,2:softmax:keras_bce,2:sigmoid:keras_bce,2:tanh:keras_bce"
CANONICAL_HEADS = (
    "1:softmax:bce,1:sigmoid:bce,1:linear:bce_logits,C:softmax:categorical_crossentropy,"
    "C:linear:cross_entropy"
)
DEFAULT_HEADS = f"{SEED_HEADS},{CANONICAL_HEADS}"
HEADS_HELP = (
    "Comma list of UNITS:ACTIVATION:LOSS; UNITS a number or C (one per class); ACTIVATION "
    "linear, softmax, sigmoid, tanh, relu; LOSS bce, keras_bce, bce_logits, cross_entropy, "
    "categorical_crossentropy, sparse_categorical_crossentropy, mse, hinge."
)


def parse_heads(text: str) -> list[dict[str, Any]]:
    """`1:softmax:bce,C:linear:cross_entropy` → [{units, activation, loss}, …]; C = omitted."""
    heads = []
    for token in filter(None, (t.strip() for t in text.split(","))):
        parts = [p.strip() for p in token.split(":")]
        if len(parts) != 3 or not (parts[0].isdigit() or parts[0].upper() == "C"):
            raise ConfigError(
                f"Bad head '{token}': write UNITS:ACTIVATION:LOSS, e.g. 1:sigmoid:bce or "
                "C:linear:cross_entropy."
            )
        head: dict[str, Any] = {"activation": parts[1].lower(), "loss": parts[2].lower()}
        if parts[0].upper() != "C":
            head["units"] = int(parts[0])
        heads.append(head)
    if not heads:
        raise ConfigError("--heads needs at least one head, e.g. 1:sigmoid:bce.")
    return heads


DEFAULT_CLASSES = {"fashion-mnist": "t-shirt,shirt"}  # a real binary task, offline


def heads_study(
    *,
    dataset: str,
    classes: str | None,
    model: str,
    heads: str,
    optimizer: str,
    profile: str,
    init: str | None,
    settings: dict[str, Any],
    data_path: str | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    size: int | None = None,
    sha256: str | None = None,
    name: str | None = None,
) -> StudySpec:
    """The flag form of a head study, validated by the same code path as a study file;
    `settings` are the study's plain settings, as `with_settings` gives them."""
    with collector_paused():
        from optbench import api
        from optbench.models import parse_model

    model_spec = parse_model(
        model, init=init or (profile if profile in ("torch", "keras") else "torch")
    )
    table: dict[str, Any] = {
        "name": dataset,
        "path": data_path,
        "train_size": train_size,
        "test_size": test_size,
    }
    if classes is None:
        classes = DEFAULT_CLASSES.get(dataset, "")
    picked = [c.strip() for c in classes.split(",") if c.strip()]
    if picked:
        table["classes"] = picked
    raw: dict[str, Any] = {
        **settings,
        "name": name if name is not None else safe_name(f"heads-{dataset}"),
        "dataset": {k: v for k, v in table.items() if v is not None},
        "model": {
            "name": model_spec.name,
            "hidden": list(model_spec.hidden),
            "activation": model_spec.activation,
            "init": model_spec.init,
        },
        "optimizers": [optimizer],
        "profile": profile,
        "heads": parse_heads(heads),
    }
    study = api.parse_study({k: v for k, v in raw.items() if v is not None})
    return _with_image_options(study, size, sha256)


def _with_image_options(study: StudySpec, size: int | None, sha256: str | None) -> StudySpec:
    """`size`/`sha256` are dataset options the study-file schema does not list yet; they are
    checked by the dataset loader (only image-folder datasets accept them)."""
    extra = {k: v for k, v in {"size": size, "sha256": sha256}.items() if v is not None}
    if not extra:
        return study
    options = {**study.dataset.options, **extra}
    return replace(study, dataset=replace(study.dataset, options=options))


def describe_data(study: StudySpec, data: Any) -> str:
    names = " vs ".join(data.class_names)
    return f"{study.dataset.name} ({names}), the first batch of {study.batch_size} examples"


def heads(
    study_file: Path | None = typer.Argument(
        None,
        help="A TOML study file with \\[\\[heads]] (e.g. studies/seed-heads.toml); without it "
        "the flags below describe the study.",
    ),
    dataset: str = typer.Option(
        "fashion-mnist",
        "--dataset",
        "-d",
        help="A binary task: fashion-mnist/mnist/digits with --classes, cats-vs-dogs, or "
        "image-folder with --data-path.",
    ),
    classes: str | None = typer.Option(
        None,
        help="Classes to keep, by name or index, e.g. 3,8 ('' = all). Default: t-shirt,shirt "
        "for fashion-mnist, all classes otherwise.",
    ),
    model: str = typer.Option("mlp:128", help="mlp:128, or convnet (the seed's CNN, Dense 512)."),
    heads: str = typer.Option(DEFAULT_HEADS, help=HEADS_HELP),
    optimizer: str = typer.Option(
        "sgd", help="One optimizer for every head, e.g. sgd, adam, 'rmsprop:lr=1e-4'."
    ),
    profile: str = typer.Option("keras", help="Defaults and update rules: keras or torch."),
    init: str | None = typer.Option(None, help="Weight init: keras or torch (default: --profile)."),
    data_path: str | None = typer.Option(None, "--data-path", help="Folder or file to read."),
    train_size: int | None = typer.Option(None, help="Keep the first N training examples."),
    test_size: int | None = typer.Option(None, help="Keep the first N test examples."),
    size: int | None = typer.Option(None, help="Image side for image folders (default 150)."),
    sha256: str | None = typer.Option(
        None,
        help="Pin the cats-vs-dogs zip's SHA-256 (optional: without it the download is "
        "verified by its published size and its images, and its hash recorded).",
    ),
    check: bool = typer.Option(True, "--check/--no-check", help="Run the checker first."),
    name: str | None = typer.Option(None, help="Study name (default: heads-<dataset>)."),
    out: str | None = typer.Option(None, help="Study folder (default: runs/<name>)."),
    *,
    settings: dict[str, Any],
) -> None:
    """Compare output heads (units × activation × loss) on a binary task, the seed's Q4."""
    if study_file is not None:
        with collector_paused():
            from optbench import api

        study = api.load_study(study_file)
        if not study.heads:
            raise ConfigError(
                f"{study_file} has no [[heads]]: a head study lists the heads to compare "
                "(see studies/seed-heads.toml), or run it with `optbench run`."
            )
        _run(study, out_folder(out), check)
        return
    study = heads_study(
        dataset=dataset,
        classes=classes,
        model=model,
        heads=heads,
        optimizer=optimizer,
        profile=profile,
        init=init,
        settings=settings,
        data_path=data_path,
        train_size=train_size,
        test_size=test_size,
        size=size,
        sha256=sha256,
        name=name,
    )
    _run(study, out_folder(out), check)


def _run(study: StudySpec, out: Path | None, check: bool) -> None:
    """The checker on the real first batch (printed), then the study."""
    with collector_paused():
        from optbench.data import load_dataset
        from optbench.diagnose.setup_check import check_study

    if check:
        data = load_dataset(study.dataset, _cache_dir())
        print_heads(console, check_study(study, data), describe_data(study, data))
        console.print()
    execute(study, out)


# The study's settings `heads` has options for (core/settings.py); the seed's Q4 used batch 20.
HEADS_SETTINGS = ("epochs", "batch_size", "seeds", "stop_on", "device", "workers")


def register(app: typer.Typer) -> None:
    app.command("heads")(with_settings(heads, HEADS_SETTINGS, defaults={"batch_size": 20}))
