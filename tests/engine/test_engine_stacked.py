"""Parity: a stacked replica group gives the per-epoch metrics of its trials run one by one.

Tolerance: float32 batched matmuls (baddbmm) may round differently from the single-trial
matmuls, so metrics agree to a relative 1e-4 (absolute 1e-5 for accuracies) after 3 epochs;
in practice most agree far more tightly.
"""

import math

import pytest

from optbench.core.specs import EpochRecord, ModelSpec, OptimizerSpec, TrialResult, TrialSpec
from optbench.engine import TrainOptions, train_trial
from optbench.engine.stacked import can_stack, train_group

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")
OPTIMIZERS = [
    OptimizerSpec("adam"),
    OptimizerSpec("sgd", {"lr": 0.05}),
    OptimizerSpec("rmsprop", {}, "keras"),
    OptimizerSpec("adagrad", {"lr": 0.05}),
    OptimizerSpec("momentum", {"lr": 0.01}, "keras"),
    OptimizerSpec("lars", {"lr": 0.5}),
    OptimizerSpec("adamw", {"lr": 3e-3, "weight_decay": 0.1}),
]


def _specs(digits_spec, seeds=(0, 1), activation="tanh"):
    model = ModelSpec(hidden=(32, 16), activation=activation)
    return [
        TrialSpec(digits_spec, model, o, seed, 3, 64, optimizer_label=o.name)
        for o in OPTIMIZERS
        for seed in seeds
    ]


def _by_trial(events):
    out: dict[str, list[EpochRecord]] = {}
    for e in events:
        if isinstance(e, EpochRecord):
            out.setdefault(e.trial_id, []).append(e)
    return out


@pytest.mark.parametrize(
    ("seeds", "activation"),
    [
        ((0, 1), "tanh"),  # mixed seeds: a batch per replica, hand-written backward
        ((0,), "relu"),  # one seed: the shared-batch first layer, hand-written backward
        ((1,), "sigmoid"),
        ((0,), "gelu"),  # no hand-written derivative: the autograd path
    ],
)
def test_stacked_equals_separate(digits_spec, digits, seeds, activation):
    specs = _specs(digits_spec, seeds, activation)
    assert all(can_stack(s) for s in specs)
    options = TrainOptions(histogram_freq=0)
    group_events = list(train_group(specs, digits, options))
    stacked = _by_trial(group_events)
    for spec in specs:
        alone = _by_trial(train_trial(spec, digits, options))[spec.id]
        together = stacked[spec.id]
        assert [r.epoch for r in together] == [1, 2, 3]
        for a, b in zip(alone, together, strict=True):
            for m in METRICS:
                va, vb = getattr(a, m), getattr(b, m)
                tol = 1e-5 if m.endswith("acc") else 1e-4 * max(1.0, abs(va))
                assert math.isclose(va, vb, abs_tol=tol), (spec.optimizer, m, va, vb)
    results = [e for e in group_events if isinstance(e, TrialResult)]
    assert len(results) == len(specs) and {r.status for r in results} == {"finished"}


def test_replicas_start_from_their_own_seeded_init(digits_spec, digits):
    from optbench.core.specs import TrialStarted

    specs = _specs(digits_spec, seeds=(0, 1))
    starts = [
        e
        for e in train_group(specs[:4], digits, TrainOptions(histogram_freq=0))
        if isinstance(e, TrialStarted)
    ]
    alone = [next(iter(train_trial(s, digits))) for s in specs[:4]]
    assert [s.init_fingerprint for s in starts] == [a.init_fingerprint for a in alone]
    assert [s.first_batch_loss for s in starts] == pytest.approx(
        [a.first_batch_loss for a in alone], rel=1e-6
    )


def test_group_checkpoints_resume_exactly(digits_spec, digits):
    specs = _specs(digits_spec, seeds=(0,))[:3]
    options = TrainOptions(histogram_freq=0)
    whole = _by_trial(train_group(specs, digits, options))
    resume = {s.id: whole[s.id][0].checkpoint for s in specs}
    assert all(len(b) < 100_000 for b in resume.values())  # one replica each, not the stack
    again = _by_trial(train_group(specs, digits, options, resume=resume))
    for s in specs:
        assert [(r.epoch, r.train_loss, r.val_acc) for r in again[s.id]] == [
            (r.epoch, r.train_loss, r.val_acc) for r in whole[s.id][1:]
        ]
