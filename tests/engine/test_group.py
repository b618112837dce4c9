"""A replica group gives each trial exactly the numbers it gets alone: per-epoch metrics,
final weights and findings, bit for bit (on the seed's own shape and data:
tests/engine/test_reproducible.py)."""

import pytest
from trial_summary import summary

from optbench.core.specs import (
    EpochRecord,
    ModelSpec,
    OptimizerSpec,
    TrialSpec,
    TrialStarted,
)
from optbench.diagnose import build_monitors
from optbench.engine import TrainOptions, can_group, train_group, train_trial

OPTIMIZERS = [
    OptimizerSpec("adam"),
    OptimizerSpec("sgd", {"lr": 0.05}),
    OptimizerSpec("rmsprop", {}, "keras"),
    OptimizerSpec("adagrad", {"lr": 0.05}),
    OptimizerSpec("momentum", {"lr": 0.01}, "keras"),
    OptimizerSpec("lars", {"lr": 0.5}),
    OptimizerSpec("adamw", {"lr": 3e-3, "weight_decay": 0.1}),
]


def _specs(digits_spec, seeds=(0, 1), activation="tanh", hidden=(32, 16)):
    model = ModelSpec(hidden=hidden, activation=activation)
    return [
        TrialSpec(digits_spec, model, o, seed, 3, 64, optimizer_label=o.name)
        for o in OPTIMIZERS
        for seed in seeds
    ]


def _monitors(_spec):
    return build_monitors()


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize(
    ("seeds", "activation", "hidden"),
    [
        ((0, 1), "tanh", (32, 16)),  # mixed seeds: a batch per replica
        ((0,), "relu", (32,)),  # one seed: one shared batch
        ((1,), "sigmoid", (100,)),  # a width whose rows are not 64-byte multiples
        ((0,), "gelu", (32,)),  # no native activation: autograd
        ((0,), "relu", ()),  # no hidden layer
    ],
)
def test_a_group_gives_each_trial_its_numbers_alone(
    digits_spec, digits, seeds, activation, hidden, native
):
    specs = _specs(digits_spec, seeds, activation, hidden)
    assert all(can_group(s) for s in specs)
    options = TrainOptions(histogram_freq=0, native=native)
    together = summary(train_group(specs, digits, options, _monitors))
    for spec in specs:
        alone = summary(train_trial(spec, digits, options, build_monitors()))
        assert together[spec.id] == alone[spec.id], spec.optimizer


def test_replicas_start_from_their_own_seeded_init(digits_spec, digits):
    specs = _specs(digits_spec, seeds=(0, 1))[:4]
    starts = [
        e
        for e in train_group(specs, digits, TrainOptions(histogram_freq=0))
        if isinstance(e, TrialStarted)
    ]
    alone = [next(iter(train_trial(s, digits))) for s in specs]
    assert [s.init_fingerprint for s in starts] == [a.init_fingerprint for a in alone]
    assert [s.first_batch_loss for s in starts] == [a.first_batch_loss for a in alone]
    assert starts[0].init_fingerprint == starts[2].init_fingerprint  # seed 0, two optimizers


def test_group_checkpoints_resume_exactly(digits_spec, digits):
    """Each replica's checkpoint holds its own state only, and continues it exactly: the same
    metrics and findings as the uninterrupted group (the monitors travel in the checkpoint)."""
    specs = _specs(digits_spec, seeds=(0,))[:3]
    options = TrainOptions(histogram_freq=0)
    events = list(train_group(specs, digits, options, _monitors))
    whole = summary(events)
    first = {
        e.trial_id: e.checkpoint for e in events if isinstance(e, EpochRecord) and e.epoch == 1
    }
    assert all(len(b) < 100_000 for b in first.values())  # one replica each, not the group
    again = summary(train_group(specs, digits, options, _monitors, resume=first))
    for s in specs:
        assert again[s.id] == whole[s.id][1:]
