"""`--device cuda`, end to end, where a GPU is present (skipped elsewhere: CI has none).

Run on a GPU machine with `pytest tests/gpu`. Tolerances: cuBLAS sums in another order than
the CPU's BLAS (fp32 throughout: torch leaves TF32 off for matmuls by default), so metrics
agree to float32 round-off compounded over a few epochs.
"""

import dataclasses
import json
import math
import sqlite3

import pytest
import torch

from optbench.cli.app import main
from optbench.core.specs import (
    EpochRecord,
    ModelSpec,
    OptimizerSpec,
    TrialResult,
    TrialSpec,
    TrialStarted,
)
from optbench.engine import TrainOptions, train_group, train_trial

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")

OPTIMIZERS = [
    OptimizerSpec("adam", {}, "keras"),
    OptimizerSpec("rmsprop", {}, "keras"),
    OptimizerSpec("adagrad", {"lr": 0.05}, "keras"),
    OptimizerSpec("lars", {"lr": 0.5}),
]


def _specs(digits_spec, device, seeds=(0, 1)):
    model = ModelSpec(hidden=(32,), activation="relu")
    return [
        TrialSpec(digits_spec, model, o, seed, 3, 64, optimizer_label=o.name, device=device)
        for o in OPTIMIZERS
        for seed in seeds
    ]


def _epochs(events):
    return {(e.trial_id, e.epoch): e for e in events if isinstance(e, EpochRecord)}


def _same(cuda: EpochRecord, cpu: EpochRecord) -> None:
    for metric in ("train_loss", "val_loss", "grad_norm"):
        a, b = getattr(cuda, metric), getattr(cpu, metric)
        assert math.isclose(a, b, rel_tol=1e-3), (metric, a, b)
    for metric in ("train_acc", "val_acc"):
        assert abs(getattr(cuda, metric) - getattr(cpu, metric)) <= 5e-3


def test_a_group_on_cuda_gives_each_trial_its_numbers_alone(digits_spec, digits):
    """The reproducibility invariant on the GPU: a replica's metrics and final weights are
    bit-identical alone and in a group (each replica runs its own kernels)."""
    specs = _specs(digits_spec, "cuda")
    options = TrainOptions(histogram_freq=0)

    def outcome(events):
        out = {}
        for e in events:
            if isinstance(e, EpochRecord):
                out.setdefault(e.trial_id, []).append(repr((e.train_loss, e.val_loss, e.grad_norm)))
            elif isinstance(e, TrialResult):
                out.setdefault(e.trial_id, []).append(e.final_fingerprint)
        return out

    together = outcome(train_group(specs, digits, options))
    for spec in specs[:3]:
        assert together[spec.id] == outcome(train_trial(spec, digits, options))[spec.id]


def test_a_group_on_cuda_trains_as_on_the_cpu(digits_spec, digits):
    options = TrainOptions(histogram_freq=1)
    on_cuda = list(train_group(_specs(digits_spec, "cuda"), digits, options))
    on_cpu = list(train_group(_specs(digits_spec, "cpu"), digits, options))
    started = [e for e in on_cuda if isinstance(e, TrialStarted)]
    assert {e.env["device"] for e in started} == {"cuda"}
    steps = {e.env["numerics"]["step"] for e in started}
    assert steps == {"autograd"}  # the native step is CPU-only
    # Trial ids include the device: pair the runs by trial position and epoch.
    cuda_epochs, cpu_epochs = _by_position(on_cuda), _by_position(on_cpu)
    assert cuda_epochs.keys() == cpu_epochs.keys() and len(cuda_epochs) == 8 * 3
    for key, cuda in cuda_epochs.items():
        _same(cuda, cpu_epochs[key])
    assert all(e.histograms for e in cuda_epochs.values())  # computed from GPU tensors


def _by_position(events):
    order = [e.trial_id for e in events if isinstance(e, TrialStarted)]
    return {(order.index(e.trial_id), e.epoch): e for e in events if isinstance(e, EpochRecord)}


def test_a_single_trial_on_cuda_trains_as_on_the_cpu(digits_spec, digits):
    spec = _specs(digits_spec, "cuda", seeds=(0,))[0]
    on_cuda = _epochs(train_trial(spec, digits, TrainOptions()))
    on_cpu = _epochs(train_trial(dataclasses.replace(spec, device="cpu"), digits))
    for cuda, cpu in zip(on_cuda.values(), on_cpu.values(), strict=True):
        _same(cuda, cpu)


def test_compare_on_cuda_writes_store_tensorboard_and_report(tmp_path, capsys):
    out = tmp_path / "study"
    code = main(
        [
            "compare",
            "--dataset",
            "digits",
            "--optimizers",
            "adam,sgd",
            "--seeds",
            "0,1",
            "--epochs",
            "2",
            "--device",
            "cuda",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr()
    with sqlite3.connect(out / "study.sqlite") as db:
        rows = db.execute("select status, env from trials").fetchall()
        epochs = db.execute("select count(*) from epochs").fetchone()[0]
    assert [status for status, _ in rows] == ["finished"] * 4 and epochs == 8
    assert {json.loads(env)["device"] for _, env in rows} == {"cuda"}
    assert list((out / "tb").rglob("events.out.tfevents.*"))
    assert (out / "report.html").stat().st_size > 0
