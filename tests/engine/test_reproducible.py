"""Same trial, same numbers, on the seed's own shape: the homework's MLP (784-128-10) on real
Fashion-MNIST rows, 200 steps of 64. A trial's weights and metrics do not depend on the group
it trains in — alone, beside one other replica, or among 31 others with other optimizers and
seeds — on the native step and on the autograd step alike, and with optimizers whose update is
a native kernel as with the plain ones.

(The first design ran a group's first layer as one wide GEMM over every replica's weights,
whose rounding can change with the width; on this project's AMD machine the widths happened to
agree, on an Intel Xeon they did not, and with two threads they differed here too.)
"""

import pytest
from trial_summary import summary

from optbench import native
from optbench.core.specs import ModelSpec, OptimizerSpec, TrialSpec
from optbench.engine import TrainOptions, train_group

STEPS = 200


def _spec(fashion_spec, name, seed=0, profile="keras", **hparams):
    optimizer = OptimizerSpec(name, hparams, profile)
    return TrialSpec(fashion_spec, ModelSpec(), optimizer, seed, 1, 64, optimizer_label=name)


def _run(specs, data, use_native):
    options = TrainOptions(histogram_freq=0, native=use_native, monitors=False)
    return summary(train_group(specs, data, options))


def _paths():
    return [
        pytest.param(
            True, marks=pytest.mark.skipif(not native.status().loaded, reason="no native step")
        ),
        False,
    ]


@pytest.mark.parametrize("use_native", _paths())
def test_adam_alone_and_beside_another_optimizer_ends_with_the_same_weights(
    fashion_spec, fashion, use_native
):
    assert len(fashion.train) == STEPS * 64
    adam = _spec(fashion_spec, "adam")
    alone = _run([adam], fashion, use_native)
    pair = _run([adam, _spec(fashion_spec, "rmsprop")], fashion, use_native)
    assert pair[adam.id] == alone[adam.id]  # metrics (exact) and the final weights' SHA-256


@pytest.mark.parametrize("use_native", _paths())
def test_optimizers_on_native_kernels_alone_and_beside_others_end_the_same(
    fashion_spec, fashion, use_native
):
    """Optimizers whose update is a native kernel (optim/native_update.py): each alone, and
    the three in one group beside Adam; on both paths (the kernels and the plain rules)."""
    native_ones = [
        _spec(fashion_spec, "nadam", profile="torch"),
        _spec(fashion_spec, "momentum", seed=1),
        _spec(fashion_spec, "lars", seed=2, lr=0.1),
    ]
    group = [native_ones[0], _spec(fashion_spec, "adam"), *native_ones[1:]]
    together = _run(group, fashion, use_native)
    for spec in native_ones:
        assert together[spec.id] == _run([spec], fashion, use_native)[spec.id]


@pytest.mark.slow
@pytest.mark.parametrize("use_native", _paths())
def test_adam_among_31_others_ends_with_the_same_weights(fashion_spec, fashion, use_native):
    adam = _spec(fashion_spec, "adam")
    names = ["adam", "adagrad", "rmsprop", "sgd", "momentum", "nadam", "adamw", "adamax"]
    others = [
        _spec(fashion_spec, name, seed=seed, profile=profile)
        for name in names
        for seed, profile in [(0, "torch"), (1, "keras"), (2, "torch"), (0, "keras")]
    ]
    others = [s for s in others if s.id != adam.id][:31]
    crowd = [*others[:17], adam, *others[17:]]  # in the middle, mixed seeds: a batch each
    assert len(crowd) == 32
    together = _run(crowd, fashion, use_native)
    on_kernels = [  # where the native code is built
        next(s for s in others if (s.optimizer.name, s.optimizer.profile) == wanted)
        for wanted in [("nadam", "torch"), ("momentum", "keras"), ("adamax", "keras")]
    ]
    for spec in (adam, *on_kernels):
        assert together[spec.id] == _run([spec], fashion, use_native)[spec.id]
