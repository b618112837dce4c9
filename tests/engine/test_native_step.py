"""The native stacked-MLP step (engine/native) against the Python step and against autograd.

Tolerance: the native step fuses the small operations (sums in another order, the C library's
exp/log), so gradients agree with the Python step to a relative 2e-6 of their largest entry
and losses to 1e-6; the matrix products are the same ATen calls, so logits agree as closely.
The Python step itself is checked against autograd on each replica's own nn.Module.
"""

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from optbench.core.specs import EpochRecord, ModelSpec, OptimizerSpec, TrialSpec, TrialStarted
from optbench.engine import TrainOptions, native
from optbench.engine.stacked import StackedMLP, train_group
from optbench.models import build_model

pytestmark = pytest.mark.skipif(
    not native.status().loaded, reason=f"native step not built: {native.status().detail}"
)

B, FEATURES, CLASSES, EXAMPLES = 24, 20, 5, 200


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(EXAMPLES, FEATURES, generator=g)
    y = torch.randint(0, CLASSES, (EXAMPLES,), generator=g)
    return x, y


def _stack(hidden, activation, replicas, use_native):
    spec = ModelSpec(hidden=hidden, activation=activation)
    models = [build_model(spec, (FEATURES,), CLASSES, seed=r) for r in range(replicas)]
    return StackedMLP(models, activation, use_native=use_native), models


def _rows(shared, replicas, step=0):
    g = torch.Generator().manual_seed(100 + step)
    if shared:
        return torch.randperm(EXAMPLES, generator=g)[:B]
    return torch.stack([torch.randperm(EXAMPLES, generator=g)[:B] for _ in range(replicas)])


def _totals(replicas):
    return torch.zeros(replicas, dtype=torch.float64), torch.zeros(replicas, dtype=torch.int64)


CASES = [
    (hidden, activation, shared, replicas)
    for hidden, activation in [
        ((16,), "relu"),
        ((12, 8), "tanh"),
        ((10,), "sigmoid"),
        ((9,), "linear"),
        ((), "relu"),
    ]
    for shared in (True, False)
    for replicas in (1, 3)
]


@pytest.mark.parametrize(("hidden", "activation", "shared", "replicas"), CASES)
def test_native_step_matches_python_step(hidden, activation, shared, replicas):
    x, y = _data()
    python, _ = _stack(hidden, activation, replicas, use_native=False)
    fast, _ = _stack(hidden, activation, replicas, use_native=True)
    assert python.native is None and fast.native is not None
    totals_python, totals_fast = _totals(replicas), _totals(replicas)
    for step in range(3):  # the totals accumulate across steps
        rows = _rows(shared, replicas, step)
        loss_p, logits_p = python.train_batch(x, y, rows, *totals_python)
        loss_f, logits_f = fast.train_batch(x, y, rows, *totals_fast)
        torch.testing.assert_close(logits_f, logits_p, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(loss_f, loss_p, rtol=1e-6, atol=1e-6)
        for g_fast, g_python in zip(fast.grads, python.grads, strict=True):
            scale = g_python.abs().max().item()
            assert (g_fast - g_python).abs().max().item() <= 2e-6 * scale
    torch.testing.assert_close(totals_fast[0], totals_python[0], rtol=1e-6, atol=0)
    assert torch.equal(totals_fast[1], totals_python[1])


@pytest.mark.parametrize("use_native", [False, True])
@pytest.mark.parametrize(("hidden", "shared"), [((), True), ((), False), ((16,), True)])
def test_steps_match_autograd_on_each_replica(hidden, shared, use_native):
    """Each replica's gradients are those autograd gives its own model. (The Python step once
    mixed the replicas' first-layer gradients of a layer-less MLP with a shared batch.)"""
    x, y = _data()
    replicas = 3
    stack, _ = _stack(hidden, "relu", replicas, use_native)
    separate = [
        build_model(ModelSpec(hidden=hidden), (FEATURES,), CLASSES, seed=r) for r in range(replicas)
    ]
    rows = _rows(shared, replicas)
    losses, _ = stack.train_batch(x, y, rows, *_totals(replicas))
    for r, model in enumerate(separate):
        index = rows if shared else rows[r]
        loss = F.cross_entropy(model(x[index]), y[index])
        loss.backward()
        torch.testing.assert_close(losses[r], loss.detach(), rtol=1e-6, atol=1e-6)
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        for layer, linear in enumerate(linears):
            torch.testing.assert_close(
                stack.grads[layer][r], linear.weight.grad, rtol=1e-5, atol=1e-7
            )
            bias = stack.grads[len(linears) + layer][r]
            torch.testing.assert_close(bias, linear.bias.grad, rtol=1e-5, atol=1e-7)


def test_non_finite_logits_give_a_non_finite_loss():
    """What the NaN guard reads: a diverged replica's loss is NaN, the others' are not."""
    x, y = _data()
    stack, _ = _stack((16,), "relu", 2, use_native=True)
    with torch.no_grad():
        stack.weights[1][1].fill_(float("inf"))  # replica 1's output layer
    losses, _ = stack.train_batch(x, y, _rows(True, 2), *_totals(2))
    assert torch.isfinite(losses[0]) and not torch.isfinite(losses[1])


def test_a_study_trains_the_same_on_both_paths(digits_spec, digits):
    """Three epochs of two optimizers × two seeds: both paths give the same metrics to float32
    round-off (1e-4 relative: round-off compounds over ~80 steps), and each trial's
    environment says which path trained it."""
    model = ModelSpec(hidden=(32,), activation="relu")
    specs = [
        TrialSpec(digits_spec, model, OptimizerSpec(name), seed, 3, 64, optimizer_label=name)
        for name in ("adam", "sgd")
        for seed in (0, 1)
    ]
    runs = {}
    for use_native in (False, True):
        events = list(train_group(specs, digits, TrainOptions(histogram_freq=0, native=use_native)))
        started = [e for e in events if isinstance(e, TrialStarted)]
        assert {e.env["native_step"] for e in started} == {use_native}
        runs[use_native] = {(e.trial_id, e.epoch): e for e in events if isinstance(e, EpochRecord)}
    assert runs[True].keys() == runs[False].keys() and len(runs[True]) == 12
    for key, fast in runs[True].items():
        slow = runs[False][key]
        for metric in ("train_loss", "val_loss", "grad_norm"):
            assert getattr(fast, metric) == pytest.approx(getattr(slow, metric), rel=1e-4)
        for metric in ("train_acc", "val_acc"):
            assert getattr(fast, metric) == pytest.approx(getattr(slow, metric), abs=2e-3)


def test_build_is_atomic_and_reused(tmp_path, monkeypatch):
    """A build lands under its key in one rename; asking again reuses it (no recompile)."""
    monkeypatch.setattr(native, "cache_folder", lambda: tmp_path)
    library = native.build()
    assert library.parent.parent == tmp_path and library.name == native.LIBRARY
    assert [p.name for p in library.parent.iterdir()] == [native.LIBRARY]  # no scratch left
    built = library.stat().st_mtime_ns
    assert native.build() == library and library.stat().st_mtime_ns == built


def test_a_failing_compiler_leaves_nothing_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(native, "cache_folder", lambda: tmp_path)
    monkeypatch.setenv("CXX", "false")  # a "compiler" that always fails
    result = native.load()
    assert not result.loaded and result.detail.startswith("RuntimeError: the compiler failed")
    assert list(tmp_path.rglob(native.LIBRARY)) == []


def test_setup_command_reports_the_build():
    command = [sys.executable, "-m", "optbench.engine.native", "--require"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("native training step: ") and native.LIBRARY in result.stdout


def test_the_build_finds_torch_where_cpp_extension_does():
    """The build's paths are spelled out (importing cpp_extension costs ~0.1 s per study)."""
    from torch.utils import cpp_extension

    assert [str(p) for p in native.INCLUDE_DIRS] == cpp_extension.include_paths()
    assert [str(p) for p in native.LIBRARY_DIRS] == cpp_extension.library_paths()


def test_a_label_outside_the_classes_is_an_error_not_a_stray_write():
    x, y = _data()
    y = y.clone()
    y[3] = CLASSES  # one past the last class
    stack, _ = _stack((16,), "relu", 1, use_native=True)
    with pytest.raises(RuntimeError, match="is not a class"):
        stack.train_batch(x, y, torch.arange(B), *_totals(1))
