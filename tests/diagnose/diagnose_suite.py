"""The diagnosis suite: deliberately faulty training setups and healthy ones.

Each faulty setup is a real, small training run with one planted mistake and the finding code
it must raise; each healthy setup (different models, optimizers, datasets) must raise no
warning or error. Shared by tests/diagnose and benchmarks/monitors.py.

A fault lives in the data (`data`), the initial weights (`weights`), a user-written module
(`module`, swapped in for the registry's model), weights carried over from an earlier run
(`pretrain`), or the optimizer settings.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from unittest import mock

import torch
from torch import nn

from optbench.core.specs import (
    DatasetSpec,
    EpochRecord,
    Finding,
    ModelSpec,
    TrialResult,
    TrialSpec,
)
from optbench.data import Dataset, Split, load_dataset
from optbench.data.fashion_mnist import DEBIAN_DIR
from optbench.diagnose import build_monitors, check_data
from optbench.engine import KeepFinalWeights, TrainOptions, train_trial
from optbench.models import build_model
from optbench.models.mlp import MLP
from optbench.optim import parse_optimizer

DIGITS = DatasetSpec("digits")
DIGITS_RAW = DatasetSpec("digits", scale=False)
FASHION = DatasetSpec("fashion-mnist", train_size=3000, test_size=1000)
FASHION_RAW = replace(FASHION, scale=False)
FASHION_SHIRTS = DatasetSpec(
    "fashion-mnist", train_size=2000, test_size=500, options={"classes": ["shirt", "t-shirt"]}
)
HAVE_FASHION = Path(DEBIAN_DIR).is_dir()
MLP64 = ModelSpec(hidden=(64,))
WARNING_OR_ERROR = ("warning", "error")

Model = Callable[[tuple[int, ...], int], nn.Module]


@dataclass(frozen=True)
class Setup:
    """One training run of the suite. `expect`: the code it must raise (None: healthy)."""

    name: str
    expect: str | None
    dataset: DatasetSpec = DIGITS
    model: ModelSpec = MLP64
    optimizer: str = "adam"
    profile: str = "torch"
    epochs: int = 4
    batch_size: int = 32
    within: int = 3  # the expected code must appear by this epoch (0: at initialisation)
    data: Callable[[Dataset], Dataset] | None = None
    weights: Callable[[nn.Module], None] | None = None
    module: Model | None = None
    pretrain: str | None = None  # train with this optimizer first and start from its weights
    stop_on: tuple[str, ...] = ("train.nan_loss",)

    @property
    def needs_fashion(self) -> bool:
        return self.dataset.name == "fashion-mnist"


@dataclass
class Outcome:
    """What a setup produced: static and runtime findings, epoch records, the result."""

    setup: Setup
    findings: list[Finding]
    records: list[EpochRecord]
    result: TrialResult
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def first_epoch(self, code: str) -> int | None:
        """The epoch of the first finding with `code` (0: at initialisation; -1: static)."""
        epochs = [-1 if f.epoch is None else f.epoch for f in self.findings if f.code == code]
        return min(epochs) if epochs else None

    def alarms(self) -> list[Finding]:
        return [f for f in self.findings if f.severity in WARNING_OR_ERROR]

    @property
    def passed(self) -> bool:
        if self.setup.expect is None:
            return not self.alarms()
        epoch = self.first_epoch(self.setup.expect)
        return epoch is not None and epoch <= self.setup.within


# -- planted faults ---------------------------------------------------------------------------


def shuffled_labels(data: Dataset) -> Dataset:
    """Labels permuted independently of the inputs: nothing to learn."""
    perm = torch.randperm(len(data.train.y), generator=torch.Generator().manual_seed(0))
    return replace(data, train=Split(data.train.x, data.train.y[perm]))


def constant_inputs(data: Dataset) -> Dataset:
    """Every input the same: the model can only learn the label frequencies."""
    return replace(
        data,
        train=Split(torch.zeros_like(data.train.x), data.train.y),
        test=Split(torch.zeros_like(data.test.x), data.test.y),
    )


def nan_pixels(data: Dataset) -> Dataset:
    """A NaN pixel in every 50th training image (a corrupt file, a bad preprocessing step)."""
    x = data.train.x.clone()
    x[50::50, 0, 0] = math.nan
    return replace(data, train=Split(x, data.train.y))


def imbalanced(data: Dataset) -> Dataset:
    """Two classes: every '0' and only the first 10 '1's (a careless subset)."""
    y = data.train.y
    zeros = torch.nonzero(y == 0).flatten()
    ones = torch.nonzero(y == 1).flatten()[:10]
    keep = torch.cat([zeros, ones])
    test = data.test.y <= 1
    return replace(
        data,
        train=Split(data.train.x[keep], y[keep]),
        test=Split(data.test.x[test], data.test.y[test]),
        num_classes=2,
        class_names=["0", "1"],
    )


def one_label(data: Dataset) -> Dataset:
    """A labelling bug: every training label is 0."""
    return replace(data, train=Split(data.train.x, torch.zeros_like(data.train.y)))


def small_noisy_train(data: Dataset) -> Dataset:
    """200 training examples, 40% of them with random labels: a big model memorises the noise."""
    y = data.train.y[:200].clone()
    y[:80] = torch.randint(0, data.num_classes, (80,), generator=torch.Generator().manual_seed(0))
    return replace(data, train=Split(data.train.x[:200], y))


def scale_weights(factor: float) -> Callable[[nn.Module], None]:
    """Multiply every weight matrix by `factor` (a far-too-large initialisation)."""

    def edit(model: nn.Module) -> None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.mul_(factor)

    return edit


def hidden_bias(value: float) -> Callable[[nn.Module], None]:
    """Set every hidden layer's bias to `value` (the output layer keeps its own)."""

    def edit(model: nn.Module) -> None:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer in linears[:-1]:
                layer.bias.fill_(value)

    return edit


class NanAfter(nn.Module):
    """A user-written model whose outputs turn NaN after `steps` training forwards."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, steps: int = 20) -> None:
        super().__init__()
        self.body = MLP(input_shape, (64,), num_classes)
        self.steps = steps
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        if self.training:
            self.calls += 1
            if self.calls > self.steps:
                out = out * math.nan
        return out


class _InfGrad(torch.autograd.Function):
    """Identity forward, infinite gradient backward (an unstable custom op)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        return grad * math.inf


class InfGradNet(nn.Module):
    """A user-written model with a numerically broken custom op between its layers."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.first = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), 64), nn.ReLU())
        self.last = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last(_InfGrad.apply(self.first(x)))


# -- the suite ----------------------------------------------------------------------------------

DEEP = (32,) * 8

FAULTY: tuple[Setup, ...] = (
    Setup("sgd-lr10-diverges", "train.diverged", optimizer="sgd:lr=10", within=1),
    Setup("adam-lr3-diverges", "train.diverged", optimizer="adam:lr=3", within=1),
    Setup(
        "fashion-sgd-lr10-diverges",
        "train.diverged",
        dataset=FASHION,
        model=ModelSpec(hidden=(128,)),
        optimizer="sgd:lr=10",
        batch_size=64,
        within=1,
    ),
    Setup("module-emits-nan", "train.nan_loss", module=NanAfter, within=1),
    Setup("nan-pixels-in-data", "train.nan_loss", data=nan_pixels, within=1),
    Setup("custom-op-inf-gradient", "train.nonfinite_grad", module=InfGradNet, within=1),
    Setup("sgd-lr1e-7-frozen", "train.loss_frozen", optimizer="sgd:lr=1e-7", within=2),
    Setup("adagrad-lr1e-8-frozen", "train.loss_frozen", optimizer="adagrad:lr=1e-8", within=2),
    Setup("sgd-lr1e-7-tiny-updates", "opt.update_ratio_low", optimizer="sgd:lr=1e-7", within=2),
    Setup(
        "shuffled-labels-sgd-not-decreasing",
        "train.not_decreasing",
        data=shuffled_labels,
        optimizer="sgd:lr=0.01",
        within=4,
    ),
    Setup("shuffled-labels-at-chance", "train.acc_at_chance", data=shuffled_labels, within=2),
    Setup("constant-inputs-at-chance", "train.acc_at_chance", data=constant_inputs, within=2),
    Setup("reused-trained-model", "init.loss_too_low", pretrain="adam", within=0),
    Setup(
        "fashion-reused-trained-model",
        "init.loss_too_low",
        dataset=FASHION,
        model=ModelSpec(hidden=(128,), init="keras"),
        pretrain="adam",
        profile="keras",
        optimizer="adagrad",
        batch_size=64,
        epochs=1,
        within=0,
    ),
    Setup(
        "fashion-0-255-pixels-loss-high",
        "init.loss_too_high",
        dataset=FASHION_RAW,
        model=ModelSpec(hidden=(128,), init="keras"),
        profile="keras",
        batch_size=64,
        epochs=1,
        within=0,
    ),
    Setup("digits-0-16-unscaled", "data.unscaled_inputs", dataset=DIGITS_RAW, epochs=1, within=-1),
    Setup(
        "huge-init-exploding",
        "grad.exploding",
        model=ModelSpec(hidden=(64,) * 5),
        optimizer="sgd:lr=0.01",
        weights=scale_weights(8.0),
        within=1,
    ),
    Setup(
        "deep-sigmoid-vanishing",
        "grad.vanishing",
        model=ModelSpec(hidden=DEEP, activation="sigmoid"),
        optimizer="sgd:lr=0.1",
        within=3,
    ),
    Setup(
        "negative-bias-dying-relu",
        "act.dying_relu",
        weights=hidden_bias(-10.0),
        within=2,
    ),
    Setup(
        "large-init-saturated-sigmoid",
        "act.saturated",
        model=ModelSpec(hidden=(64,), activation="sigmoid"),
        optimizer="sgd:lr=0.01",
        weights=scale_weights(40.0),
        within=3,
    ),
    Setup(
        "large-init-saturated-tanh",
        "act.saturated",
        model=ModelSpec(hidden=(64, 64), activation="tanh"),
        optimizer="sgd:lr=0.01",
        weights=scale_weights(40.0),
        within=3,
    ),
    Setup(
        "tanh-sgd-lr3-huge-updates",
        "opt.update_ratio_high",
        model=ModelSpec(hidden=(64,), activation="tanh"),
        optimizer="sgd:lr=3",
        within=3,
    ),
    Setup(
        "tanh-adam-lr0.1-oscillating",
        "train.oscillating",
        model=ModelSpec(hidden=(64,), activation="tanh"),
        optimizer="adam:lr=0.1",
        epochs=6,
        within=6,
    ),
    Setup(
        "small-noisy-train-set-overfits",
        "val.overfitting",
        model=ModelSpec(hidden=(256,)),
        optimizer="adam:lr=0.01",
        data=small_noisy_train,
        epochs=20,
        batch_size=16,
        within=20,
    ),
    Setup("imbalanced-subset", "data.imbalanced_labels", data=imbalanced, epochs=1, within=-1),
    Setup("every-label-zero", "data.imbalanced_labels", data=one_label, epochs=1, within=-1),
)

HEALTHY: tuple[Setup, ...] = (
    Setup("digits-adam-relu", None),
    Setup("digits-sgd-lr0.1", None, optimizer="sgd:lr=0.1"),
    Setup("digits-momentum-128", None, model=ModelSpec(hidden=(128,)), optimizer="momentum"),
    Setup(
        "digits-rmsprop-keras",
        None,
        optimizer="rmsprop",
        profile="keras",
        model=ModelSpec(hidden=(64,), init="keras"),
    ),
    Setup("digits-adagrad-torch", None, optimizer="adagrad"),
    Setup(
        "digits-adagrad-keras",
        None,
        optimizer="adagrad",
        profile="keras",
        model=ModelSpec(hidden=(64,), init="keras"),
    ),
    Setup(
        "digits-adamw-tanh-2x64",
        None,
        model=ModelSpec(hidden=(64, 64), activation="tanh"),
        optimizer="adamw",
    ),
    Setup("digits-adam-sigmoid", None, model=ModelSpec(hidden=(64,), activation="sigmoid")),
    Setup(
        "digits-nesterov-gelu",
        None,
        model=ModelSpec(hidden=(128, 64), activation="gelu"),
        optimizer="nesterov:lr=0.05",
    ),
    Setup(
        "digits-nadam-elu", None, model=ModelSpec(hidden=(32,), activation="elu"), optimizer="nadam"
    ),
    Setup(
        "fashion-adam-keras-seed-mlp",
        None,
        dataset=FASHION,
        optimizer="adam",
        profile="keras",
        model=ModelSpec(hidden=(128,), init="keras"),
        batch_size=64,
    ),
    Setup(
        "fashion-rmsprop-keras",
        None,
        dataset=FASHION,
        optimizer="rmsprop",
        profile="keras",
        model=ModelSpec(hidden=(128,), init="keras"),
        batch_size=64,
    ),
    Setup(
        "fashion-sgd-lr0.05",
        None,
        dataset=FASHION,
        optimizer="sgd:lr=0.05",
        model=ModelSpec(hidden=(256, 128)),
        batch_size=64,
    ),
    Setup(
        "fashion-shirts-binary-adam",
        None,
        dataset=FASHION_SHIRTS,
        model=ModelSpec(hidden=(64,)),
        batch_size=64,
    ),
)


# -- running ------------------------------------------------------------------------------------


class Datasets:
    """Each dataset of the suite loaded once, then transformed per setup."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._loaded: dict[str, Dataset] = {}

    def get(self, setup: Setup) -> Dataset:
        key = repr(setup.dataset)
        if key not in self._loaded:
            self._loaded[key] = load_dataset(setup.dataset, self.cache_dir, allow_download=False)
        data = self._loaded[key]
        return setup.data(data) if setup.data else data


def trial_spec(setup: Setup, optimizer: str | None = None) -> TrialSpec:
    return TrialSpec(
        dataset=setup.dataset,
        model=setup.model,
        optimizer=parse_optimizer(optimizer or setup.optimizer, profile=setup.profile),
        seed=0,
        epochs=setup.epochs,
        batch_size=setup.batch_size,
    )


def run_setup(setup: Setup, datasets: Datasets, *, monitors: bool = True) -> Outcome:
    """Train `setup` with the monitors on; collect static and runtime findings."""
    data = datasets.get(setup)
    spec = trial_spec(setup)
    callbacks = build_monitors(setup.stop_on) if monitors else []
    # The autograd step, which user-written modules take anyway: the setups were tuned on it
    # (on the native step, float32 round-off puts tanh-adam-lr0.1 just under the oscillation
    # threshold).
    options = TrainOptions(histogram_freq=0, stop_on=setup.stop_on, native=False)
    with _user_model(setup.module):
        initial = _initial_state(setup, spec, data)
        events = list(train_trial(spec, data, options, callbacks, initial))
    records = [e for e in events if isinstance(e, EpochRecord)]
    result = events[-1]
    assert isinstance(result, TrialResult)
    runtime = [f for r in records for f in r.findings] + result.findings
    outcome = Outcome(setup, [*check_data(data), *runtime], records, result)
    outcome.extra["monitors"] = callbacks
    return outcome


def _initial_state(setup: Setup, spec: TrialSpec, data: Dataset) -> dict[str, Any] | None:
    if setup.pretrain is not None:
        keep = KeepFinalWeights()
        first = replace(trial_spec(setup, setup.pretrain), epochs=3)
        for _ in train_trial(first, data, TrainOptions(histogram_freq=0), [keep]):
            pass
        return keep.state
    if setup.weights is not None:
        model = build_model(spec.model, data.input_shape, data.num_classes, seed=spec.seed)
        setup.weights(model)
        return model.state_dict()
    return None


@contextmanager
def _user_model(factory: Model | None) -> Iterator[None]:
    """Swap the engine's model builder for a user-written module (seeded like the registry's)."""
    if factory is None:
        yield
        return

    def build(spec: ModelSpec, shape: tuple[int, ...], classes: int, *, seed: int) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return factory(shape, classes)

    trainer = importlib.import_module("optbench.engine.replica")
    with mock.patch.object(trainer, "build_model", build):
        yield


def describe(outcome: Outcome) -> str:
    """One line per setup: pass/fail, what it raised and when."""
    raised = ", ".join(
        f"{f.code}@{'static' if f.epoch is None else f.epoch}" for f in outcome.findings
    )
    mark = "ok  " if outcome.passed else "FAIL"
    return f"{mark} {outcome.setup.name:38s} expect={outcome.setup.expect}  raised: {raised}"
