"""The native group step (optbench.native) against autograd, and what it refuses.

Tolerance: the native step fuses the small operations (sums in another order, the C library's
exp/log), so gradients agree with autograd to a relative 2e-6 of their largest entry and
losses to 1e-6; the matrix products are the same ATen calls, so logits agree as closely.
Bit-for-bit equality is asked only *within* one step path: a replica alone and in a group
(tests/engine/test_group.py, tests/engine/test_reproducible.py).
"""

import copy
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from optbench import native
from optbench.core.specs import EpochRecord, ModelSpec, OptimizerSpec, TrialSpec, TrialStarted
from optbench.engine import TrainOptions, train_group

pytestmark = pytest.mark.skipif(
    not native.status().loaded, reason=f"native step not built: {native.status().detail}"
)

B, FEATURES, CLASSES, EXAMPLES = 24, 20, 5, 200


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(EXAMPLES, FEATURES, generator=g)
    y = torch.randint(0, CLASSES, (EXAMPLES,), generator=g)
    return x, y


def _models(hidden, activation, replicas):
    from optbench.models import build_model

    spec = ModelSpec(hidden=hidden, activation=activation)
    return [build_model(spec, (FEATURES,), CLASSES, seed=r) for r in range(replicas)]


def _rows(shared, replicas, step=0):
    g = torch.Generator().manual_seed(100 + step)
    if shared:
        return torch.randperm(EXAMPLES, generator=g)[:B]
    return torch.stack([torch.randperm(EXAMPLES, generator=g)[:B] for _ in range(replicas)])


def _native_step(models, x, y, rows, activation, sums=None):
    """One native step over `models`; returns (losses [R], logits, grads per model, sums
    [R, 3]: examples, summed loss, correct)."""
    params, grads = [], []
    for m in models:
        for p in m.parameters():
            params.append(p.detach())
            grads.append(torch.full_like(p, float("nan")))  # every entry must be written
    R = len(models)
    sums = torch.zeros(R, 3, dtype=torch.float64) if sums is None else sums
    losses, logits = native.mlp_train_step()(x, y, rows, params, grads, activation, sums)
    per_model = len(grads) // R
    grads = [grads[r * per_model : (r + 1) * per_model] for r in range(R)]
    return losses, logits, grads, sums


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
def test_native_step_matches_autograd_on_each_replica(hidden, activation, shared, replicas):
    x, y = _data()
    models = _models(hidden, activation, replicas)
    reference = copy.deepcopy(models)
    rows = _rows(shared, replicas)
    losses, logits, grads, sums = _native_step(models, x, y, rows, activation)
    for r, model in enumerate(reference):
        index = rows if shared else rows[r]
        out = model(x[index])
        loss = F.cross_entropy(out, y[index])
        loss.backward()
        torch.testing.assert_close(logits[r], out.detach(), rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(losses[r], loss.detach(), rtol=1e-6, atol=1e-6)
        for g_native, p in zip(grads[r], model.parameters(), strict=True):
            scale = p.grad.abs().max().item()
            assert (g_native - p.grad).abs().max().item() <= 2e-6 * max(scale, 1e-12)
        assert sums[r, 0].item() == B
        assert sums[r, 1].item() == pytest.approx(loss.item() * B, rel=1e-6)
        assert sums[r, 2].item() == (out.argmax(1) == y[index]).sum().item()


@pytest.mark.parametrize(("hidden", "activation"), [((100,), "relu"), ((7, 5), "sigmoid")])
@pytest.mark.parametrize("shared", [True, False])
def test_a_replica_computes_the_same_bits_in_any_group(hidden, activation, shared):
    """Replica 1 of a group of 3 gives the bits it gives alone (widths whose rows are not
    64-byte multiples included: no replica's tensors are views into another's)."""
    x, y = _data()
    models = _models(hidden, activation, 3)
    rows = _rows(shared, 3)
    _, logits, grads, sums = _native_step(models, x, y, rows, activation)
    alone_rows = rows if shared else rows[1:2]
    _, logits1, grads1, sums1 = _native_step(models[1:2], x, y, alone_rows, activation)
    assert torch.equal(logits[1], logits1[0])
    assert all(torch.equal(a, b) for a, b in zip(grads[1], grads1[0], strict=True))
    assert torch.equal(sums[1], sums1[0])


def test_non_finite_logits_give_a_non_finite_loss():
    """What the NaN guard reads: a diverged replica's loss is NaN, the others' are not."""
    x, y = _data()
    models = _models((16,), "relu", 2)
    with torch.no_grad():
        models[1].net[3].weight.fill_(float("inf"))  # replica 1's output layer
    losses, *_ = _native_step(models, x, y, _rows(True, 2), "relu")
    assert torch.isfinite(losses[0]) and not torch.isfinite(losses[1])


def test_a_study_trains_the_same_on_both_paths_to_round_off(digits_spec, digits):
    """Three epochs of two optimizers × two seeds: both paths give the same metrics to float32
    round-off (1e-4 relative: round-off compounds over ~80 steps), and each trial's
    environment says which step trained it."""
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
        step = "native" if use_native else "autograd"
        assert {e.env["numerics"]["step"] for e in started} == {step}
        runs[use_native] = {(e.trial_id, e.epoch): e for e in events if isinstance(e, EpochRecord)}
    assert runs[True].keys() == runs[False].keys() and len(runs[True]) == 12
    for key, fast in runs[True].items():
        slow = runs[False][key]
        for metric in ("train_loss", "val_loss", "grad_norm"):
            assert getattr(fast, metric) == pytest.approx(getattr(slow, metric), rel=1e-4)
        for metric in ("train_acc", "val_acc"):
            assert getattr(fast, metric) == pytest.approx(getattr(slow, metric), abs=2e-3)


@pytest.mark.parametrize("use_native", [True, False])
def test_each_trials_numerics_name_the_compiled_code_it_ran(digits_spec, digits, use_native):
    """The step path, the update path (an optimizer's native kernel or its plain rule) and,
    where either is native, the build: per trial, also on the autograd step (gelu)."""
    names = [("nadam", "keras"), ("adam", "keras"), ("adadelta", "torch")]
    runs = {
        activation: [
            TrialSpec(
                digits_spec,
                ModelSpec(hidden=(16,), activation=activation),
                OptimizerSpec(name, {}, profile),
                0,
                1,
                64,
            )
            for name, profile in names
        ]
        for activation in ("relu", "gelu")
    }
    options = TrainOptions(histogram_freq=0, native=use_native, monitors=False)
    for activation, specs in runs.items():
        events = train_group(specs, digits, options)
        numerics = [e.env["numerics"] for e in events if isinstance(e, TrialStarted)]
        step = "native" if use_native and activation == "relu" else "autograd"
        updates = ["native", "plain", "native"] if use_native else ["plain"] * 3
        assert [n["step"] for n in numerics] == [step] * 3
        assert [n["update"] for n in numerics] == updates
        for n in numerics:
            runs_native = "native" in (n["step"], n["update"])
            assert n.get("native_build") == (native.build_key() if runs_native else None)


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
    command = [sys.executable, "-m", "optbench.native", "--require"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("native code: ") and native.LIBRARY in result.stdout


def test_the_build_finds_torch_where_cpp_extension_does():
    """The build's paths are spelled out (importing cpp_extension costs ~0.1 s per study)."""
    from torch.utils import cpp_extension

    assert [str(p) for p in native.INCLUDE_DIRS] == cpp_extension.include_paths()
    assert [str(p) for p in native.LIBRARY_DIRS] == cpp_extension.library_paths()


def test_a_label_outside_the_classes_is_an_error_not_a_stray_write():
    x, y = _data()
    y = y.clone()
    y[3] = CLASSES  # one past the last class
    with pytest.raises(RuntimeError, match="is not a class"):
        _native_step(_models((16,), "relu", 1), x, y, torch.arange(B), "relu")
