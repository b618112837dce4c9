"""A study store written by hand: fixed numbers, so reports built from it are byte-stable.

Nothing here trains. The numbers are chosen so the report has something to say: rmsprop and adam
are close (not distinguishable), adagrad is clearly behind, `adam(lr=0.01)` makes an lr family
with adam, one rmsprop seed failed with a NaN loss, and there are findings at two severities.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from optbench.core.specs import (
    DatasetSpec,
    EpochRecord,
    Finding,
    ModelSpec,
    OptimizerSpec,
    TrialResult,
    TrialSpec,
    TrialStarted,
)
from optbench.store import Store

ENV = {
    "torch": "2.13.0+cpu",
    "python": "3.11.7",
    "platform": "Linux-synthetic",
    "device": "cpu",
    "threads": 1,
    "cores": 2,
}
KERAS_ADAM = {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-07, "weight_decay": 0.0}
# label → (optimizer, hparams, base final accuracy, per-seed noise, seconds per epoch)
GROUPS = {
    "adam": ("adam", KERAS_ADAM, 0.880, (0.001, -0.002, 0.000, 0.002, -0.001), 1.50),
    "adagrad": (
        "adagrad",
        {"lr": 0.001, "eps": 1e-07, "initial_accumulator_value": 0.1},
        0.805,
        (0.002, 0.001, -0.003, 0.000, 0.001),
        1.40,
    ),
    "rmsprop": (
        "rmsprop",
        {"lr": 0.001, "alpha": 0.9, "eps": 1e-07, "momentum": 0.0},
        0.883,
        (-0.004, 0.003, 0.002, -0.001, 0.000),
        1.45,
    ),
    "adam(lr=0.01)": (
        "adam",
        {**KERAS_ADAM, "lr": 0.01},
        0.866,
        (0.000, 0.003, -0.002, 0.001, -0.004),
        1.50,
    ),
}
SEED_EFFECT = (0.000, -0.006, 0.004, -0.003, 0.002)  # shared by every group: why pairing helps


def study_dict(name: str, seeds: Sequence[int], epochs: int, dataset: str) -> dict:
    """The stored study config, spelled out (not StudySpec.to_dict(): new fields elsewhere
    must not change these golden files)."""
    return {
        "name": name,
        "dataset": {"name": dataset, "options": {}, "path": None, "scale": True},
        "model": {"name": "mlp", "hidden": [128], "activation": "relu", "init": "keras"},
        "optimizers": [
            {"name": "adam", "profile": "keras", "hparams": {"lr": [0.001, 0.01]}},
            {"name": "adagrad", "profile": "keras", "hparams": {}},
            {"name": "rmsprop", "profile": "keras", "hparams": {}},
        ],
        "seeds": list(seeds),
        "epochs": epochs,
        "batch_size": 64,
        "loss": "cross_entropy",
        "device": "cpu",
    }


def build_study(
    folder: Path,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    epochs: int = 5,
    datasets: Sequence[str] = ("digits",),
    groups: Sequence[str] = tuple(GROUPS),
    failure: bool = True,
    findings: bool = True,
    name: str = "synthetic",
) -> Path:
    """Write `folder/study.sqlite` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "study.sqlite")
    try:
        store.set_meta("name", name)
        store.set_meta("study", json.dumps(study_dict(name, seeds, epochs, datasets[0])))
        store.set_meta("dataset", json.dumps(_dataset_meta(datasets[0])))
        specs = _specs(seeds, epochs, datasets, groups)
        store.set_meta("trial_ids", json.dumps([s.id for s, _ in specs]))
        for position, (spec, shift) in enumerate(specs):
            store.add_trial(spec, position)
            _train(store, spec, shift, failure, findings)
        if findings:
            store.add_finding(
                Finding(
                    "data.small_test_split",
                    "info",
                    "The test split has 360 examples: one example is 0.28 pp of accuracy.",
                    "Read differences under 1 pp with care, or use a larger dataset.",
                )
            )
    finally:
        store.close()
    return folder


def _dataset_meta(name: str) -> dict:
    return {
        "name": name,
        "train_examples": 1437,
        "test_examples": 360,
        "source": "synthetic",
        "scaled": True,
        "raw_range": [0.0, 16.0],
    }


def _specs(seeds, epochs, datasets, groups) -> list[tuple[TrialSpec, float]]:
    specs = []
    for d, dataset in enumerate(datasets):
        for label in groups:
            optimizer, hparams, *_ = GROUPS[label]
            for seed in seeds:
                spec = TrialSpec(
                    dataset=DatasetSpec(dataset),
                    model=ModelSpec(hidden=(128,), init="keras"),
                    optimizer=OptimizerSpec(optimizer, hparams, "keras"),
                    seed=seed,
                    epochs=epochs,
                    batch_size=64,
                    optimizer_label=label,
                )
                specs.append((spec, -0.05 * d))
    return specs


def _train(store: Store, spec: TrialSpec, shift: float, failure: bool, findings: bool) -> None:
    label, seed = spec.group, spec.seed
    _, _, base, noise, seconds = GROUPS[label]
    final = base + shift + SEED_EFFECT[seed % 5] + noise[seed % 5]
    fingerprint = f"{(seed + 1) * 0x1F2E3D4C5B6A7980 % (1 << 64):016x}"
    store.start_trial(TrialStarted(spec.id, fingerprint, 2.30 + seed / 100, ENV))
    fails = failure and label == "rmsprop" and seed == 4
    for epoch in range(1, spec.epochs + 1):
        behind = spec.epochs - epoch
        acc = final - 0.02 * behind
        loss = 0.35 + 0.5 * (1 - final) + 0.08 * behind
        if fails and epoch == 3:
            loss, acc = math.nan, 0.1
        store.add_epoch(
            EpochRecord(
                spec.id, epoch, loss * 0.8, min(acc + 0.03, 1.0), loss, acc, seconds, 0.001, 0.5
            )
        )
        if fails and epoch == 3:
            break
    if fails:
        if findings:
            store.add_finding(
                Finding(
                    "train.nan_loss",
                    "error",
                    "The loss became NaN at epoch 3: the weights overflowed.",
                    "Lower the learning rate or clip gradients.",
                    spec.id,
                    3,
                )
            )
        store.finish_trial(TrialResult(spec.id, "failed", None, "loss is NaN at epoch 3"))
        return
    if findings and label == "adagrad" and seed == 0:
        store.add_finding(
            Finding(
                "train.slow_progress",
                "warning",
                "Test accuracy rose less than 1 pp over the last 3 epochs while the loss is high.",
                "Raise the learning rate (Keras' Adagrad default 0.001 is small here).",
                spec.id,
                4,
            )
        )
    store.finish_trial(TrialResult(spec.id, "finished", f"{seed:016x}"))
