"""The diagnosis suite: deliberately faulty training setups and healthy ones.

Each faulty setup is a real, small training run with one planted mistake and the finding code
it must raise; each healthy setup (different models, optimizers, datasets) must raise no
warning or error. Shared by tests/diagnose and benchmarks/monitors.py.

A fault lives in the data (`data`), the initial weights (`weights`), a user-written module
(`module`, swapped in for the registry's model, or a factory handed over by reference as a
study file does: `user("mlp", head="sigmoid")`), weights carried over from an earlier run
(`pretrain`), or the optimizer settings.

Four tasks: classification (digits, Fashion-MNIST), binary (the t-shirt/shirt pair, trained
as two classes with the head and loss under test: the homework's Q4), regression
(scikit-learn's diabetes data) and next-character prediction (Python's standard library
sources); the last two come through data loaders (suite_data.py), as a user's data would.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from unittest import mock

import torch
from faults import (
    constant_inputs,
    first,
    hidden_bias,
    imbalanced,
    minority,
    nan_pixels,
    one_label,
    scale_weights,
    shuffled_labels,
    small_noisy_train,
)
from torch import nn
from user_modules import (
    DetachedFeatures,
    InfGradNet,
    LogSoftmaxMLP,
    NanAfter,
    ResidualMLP,
    SigmoidStack,
    SmallCNN,
)

from optbench.core.specs import (
    DatasetSpec,
    EpochRecord,
    Finding,
    ModelSpec,
    TrialResult,
    TrialSpec,
)
from optbench.data import Dataset, load_dataset
from optbench.data.fashion_mnist import DEBIAN_DIR
from optbench.diagnose import build_monitors, check_data, group_findings
from optbench.diagnose.setup_check import SetupCheck
from optbench.engine import KeepFinalWeights, TrainOptions, train_trial
from optbench.models import build_model
from optbench.optim import parse_optimizer

HERE = Path(__file__).resolve().parent
DIGITS = DatasetSpec("digits")
DIGITS_RAW = DatasetSpec("digits", scale=False)
FASHION = DatasetSpec("fashion-mnist", train_size=3000, test_size=1000)
FASHION_RAW = replace(FASHION, scale=False)
FASHION_SHIRTS = DatasetSpec(
    "fashion-mnist", train_size=2000, test_size=500, options={"classes": ["shirt", "t-shirt"]}
)
HAVE_FASHION = Path(DEBIAN_DIR).is_dir()
DIABETES = DatasetSpec("diabetes", loader=f"{HERE / 'suite_data.py'}:diabetes")
DIABETES_RAW = replace(DIABETES, options={"scale_targets": False})
TEXT = DatasetSpec("python-text", loader=f"{HERE / 'suite_data.py'}:python_text")
MLP64 = ModelSpec(hidden=(64,))
WARNING_OR_ERROR = ("warning", "error")

Model = Callable[[tuple[int, ...], int], nn.Module]


@dataclass(frozen=True)
class Setup:
    """One training run of the suite. `expect`: the code that names its cause, which it must
    raise by epoch `within` as a root cause (not under another finding); `also`: symptoms it
    must raise as well (counted per code in the benchmark). None: a healthy setup."""

    name: str
    expect: str | None
    dataset: DatasetSpec = DIGITS
    model: ModelSpec = MLP64
    optimizer: str = "adam"
    loss: str = "cross_entropy"
    profile: str = "torch"
    epochs: int = 4
    batch_size: int = 32
    within: int = 3  # the expected code must appear by this epoch (0: at initialisation)
    data: Callable[[Dataset], Dataset] | None = None
    weights: Callable[[nn.Module], None] | None = None
    module: Model | None = None
    pretrain: str | None = None  # train with this optimizer first and start from its weights
    stop_on: tuple[str, ...] = ("train.nan_loss",)
    also: tuple[str, ...] = ()
    task: str = "classification"  # or "binary", "regression", "language_model"

    @property
    def needs_fashion(self) -> bool:
        return self.dataset.name == "fashion-mnist"

    @property
    def engine_task(self) -> str:
        """The task the engine trains: the binary setups are the homework's 2-class heads,
        trained as 2-class classification with the head and loss under test."""
        return self.task if self.task in ("regression", "language_model") else "classification"

    @property
    def user_written(self) -> bool:
        """The model is the user's own module (swapped in, or built by a factory)."""
        return self.module is not None or self.model.factory is not None


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

    def roots(self) -> set[str]:
        """The codes that head a group of findings (diagnose.group_findings): the causes."""
        return {g.root.code for g in group_findings(self.findings)}

    @property
    def detected(self) -> bool:
        """The expected code appeared in time (as a root or not)."""
        epoch = self.first_epoch(self.setup.expect) if self.setup.expect else None
        return epoch is not None and epoch <= self.setup.within

    @property
    def passed(self) -> bool:
        """Healthy: no warning or error. Faulty: its cause named in time, as a root cause."""
        if self.setup.expect is None:
            return not self.alarms()
        return self.detected and self.setup.expect in self.roots()


# -- the suite ----------------------------------------------------------------------------------

DEEP = (32,) * 8
SHIRTS_RAW = replace(FASHION_SHIRTS, scale=False)


def head(units: int | None, activation: str, hidden: tuple[int, ...] = (64,)) -> ModelSpec:
    """The registry MLP with a given output layer (Q4's heads)."""
    return ModelSpec(hidden=hidden, head_units=units, head_activation=activation)


def user(factory: str, **kwargs: Any) -> ModelSpec:
    """A user-written model from user_modules.py, by reference (`[model] factory = …`)."""
    return ModelSpec(
        name="factory",
        factory=f"{HERE / 'user_modules.py'}:{factory}",
        kwargs=tuple(kwargs.items()),
    )


def regression(name: str, expect: str | None, **kwargs: Any) -> Setup:
    """A diabetes regression setup (MSE by default, 12 batches of 32 an epoch)."""
    defaults: dict[str, Any] = {"dataset": DIABETES, "loss": "mse", "task": "regression"}
    return Setup(name, expect, **{**defaults, **kwargs})


def language_model(name: str, expect: str | None, **kwargs: Any) -> Setup:
    """A next-character setup on Python sources (1,686 sequences of 32 characters, 86
    characters; 53 batches of 32 an epoch), a user-written model by default."""
    defaults: dict[str, Any] = {
        "dataset": TEXT,
        "model": user("char_transformer"),
        "optimizer": "adamw:lr=0.003",
        "task": "language_model",
    }
    return Setup(name, expect, **{**defaults, **kwargs})


FAULTY: tuple[Setup, ...] = (
    # -- a learning rate far too high ----------------------------------------------------------
    Setup(
        "sgd-lr10-diverges",
        "train.diverged",
        optimizer="sgd:lr=10",
        within=1,
        also=("act.dying_relu", "opt.update_ratio_low"),
    ),
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
    Setup(
        "tanh-sgd-lr3-huge-updates",
        "train.diverged",
        model=ModelSpec(hidden=(64,), activation="tanh"),
        optimizer="sgd:lr=3",
        within=1,
        also=("opt.update_ratio_high", "act.saturated", "train.acc_at_chance"),
    ),
    Setup(
        "tanh-adam-lr0.1-oscillating",
        "train.oscillating",
        model=ModelSpec(hidden=(64,), activation="tanh"),
        optimizer="adam:lr=0.1",
        epochs=8,
        within=8,
    ),
    Setup(
        "binary-sgd-lr30-diverges",
        "train.diverged",
        dataset=FASHION_SHIRTS,
        optimizer="sgd:lr=30",
        batch_size=64,
        within=1,
        task="binary",
    ),
    Setup(
        "user-cnn-adam-lr1-diverges",
        "train.diverged",
        module=SmallCNN,
        optimizer="adam:lr=1",
        within=1,
    ),
    # -- a learning rate far too low -----------------------------------------------------------
    Setup(
        "sgd-lr1e-7-frozen",
        "opt.update_ratio_low",
        optimizer="sgd:lr=1e-7",
        within=2,
        also=("train.loss_frozen",),
    ),
    Setup(
        "adagrad-lr1e-8-frozen",
        "opt.update_ratio_low",
        optimizer="adagrad:lr=1e-8",
        within=2,
        also=("train.loss_frozen",),
    ),
    Setup(
        "binary-sgd-lr1e-7-frozen",
        "opt.update_ratio_low",
        dataset=FASHION_SHIRTS,
        optimizer="sgd:lr=1e-7",
        batch_size=64,
        within=2,
        task="binary",
        also=("train.loss_frozen",),
    ),
    # -- NaN and infinity -------------------------------------------------------------------------
    Setup("module-emits-nan", "train.nan_loss", module=NanAfter, within=1),
    Setup(
        "nan-pixels-in-data",
        "data.nonfinite_inputs",
        data=nan_pixels,
        within=-1,
        also=("train.nan_loss",),
    ),
    Setup("custom-op-inf-gradient", "train.nonfinite_grad", module=InfGradNet, within=1),
    # -- data and labels ----------------------------------------------------------------------
    Setup(
        "shuffled-labels-sgd",
        "data.labels_unrelated",
        data=shuffled_labels,
        optimizer="sgd:lr=0.01",
        epochs=7,
        within=-1,
        also=("train.acc_at_chance", "train.not_decreasing"),
    ),
    Setup(
        "shuffled-labels-adam",
        "data.labels_unrelated",
        data=shuffled_labels,
        epochs=6,
        within=-1,
        also=("train.acc_at_chance",),
    ),
    Setup(
        "binary-shuffled-labels",
        "data.labels_unrelated",
        dataset=FASHION_SHIRTS,
        data=shuffled_labels,
        batch_size=64,
        epochs=2,
        within=-1,
        task="binary",
    ),
    Setup(
        "constant-inputs",
        "data.constant_inputs",
        data=constant_inputs,
        epochs=4,
        within=-1,
        also=("head.constant_output", "train.loss_frozen"),
    ),
    Setup("digits-0-16-unscaled", "data.unscaled_inputs", dataset=DIGITS_RAW, epochs=1, within=-1),
    Setup(
        "fashion-0-255-pixels",
        "data.unscaled_inputs",
        dataset=FASHION_RAW,
        model=ModelSpec(hidden=(128,), init="keras"),
        profile="keras",
        batch_size=64,
        epochs=1,
        within=-1,
        also=("init.loss_too_high", "grad.exploding"),
    ),
    Setup(
        "binary-0-255-pixels",
        "data.unscaled_inputs",
        dataset=SHIRTS_RAW,
        batch_size=64,
        epochs=1,
        within=-1,
        task="binary",
    ),
    Setup("imbalanced-subset", "data.imbalanced_labels", data=imbalanced, epochs=1, within=-1),
    Setup("every-label-zero", "data.imbalanced_labels", data=one_label, epochs=1, within=-1),
    Setup(
        "binary-shirts-1-in-20",
        "data.imbalanced_labels",
        dataset=FASHION_SHIRTS,
        data=minority(0.05),
        batch_size=64,
        epochs=1,
        within=-1,
        task="binary",
    ),
    # -- fairness: weights carried over from an earlier run ---------------------------------------
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
        "binary-reused-trained-model",
        "init.loss_too_low",
        dataset=FASHION_SHIRTS,
        pretrain="adam",
        optimizer="rmsprop",
        profile="keras",
        batch_size=64,
        epochs=1,
        within=0,
        task="binary",
    ),
    # -- initialisation and architecture ------------------------------------------------------
    Setup(
        "huge-init-exploding",
        "grad.exploding",
        model=ModelSpec(hidden=(64,) * 5),
        optimizer="sgd:lr=0.01",
        weights=scale_weights(8.0),
        within=1,
        also=("init.loss_too_high", "train.nan_loss"),
    ),
    Setup(
        "deep-sigmoid-vanishing",
        "grad.vanishing",
        model=ModelSpec(hidden=DEEP, activation="sigmoid"),
        optimizer="sgd:lr=0.1",
        within=1,
        also=("train.acc_at_chance", "train.not_decreasing"),
    ),
    Setup(
        "deep-sigmoid-glorot-sgd",
        "grad.vanishing",
        model=ModelSpec(hidden=(64,) * 4, activation="sigmoid", init="keras"),
        optimizer="sgd:lr=0.1",
        within=1,
    ),
    Setup(
        "user-sigmoid-stack-momentum",
        "grad.vanishing",
        module=SigmoidStack,
        optimizer="momentum",
        within=1,
    ),
    Setup(
        "negative-bias-dying-relu",
        "act.dying_relu",
        weights=hidden_bias(-10.0),
        within=1,
        also=("head.constant_output",),
    ),
    Setup(
        "large-init-saturated-sigmoid",
        "act.saturated",
        model=ModelSpec(hidden=(64,), activation="sigmoid"),
        optimizer="sgd:lr=0.01",
        weights=scale_weights(40.0),
        within=1,
    ),
    Setup(
        "large-init-saturated-tanh",
        "act.saturated",
        model=ModelSpec(hidden=(64, 64), activation="tanh"),
        optimizer="sgd:lr=0.01",
        weights=scale_weights(40.0),
        within=1,
    ),
    Setup(
        "user-detached-features",
        "grad.missing",
        module=DetachedFeatures,
        within=2,  # one gradient sample per epoch on digits: two samples by epoch 2
    ),
    # -- output layer and loss (Q4 of the homework) ------------------------------------------------
    Setup(
        "binary-1-unit-softmax-bce",
        "head.single_unit_softmax",
        dataset=FASHION_SHIRTS,
        model=head(1, "softmax"),
        loss="bce",
        batch_size=20,
        epochs=2,
        within=0,
        task="binary",
        also=("train.loss_frozen",),
    ),
    Setup(
        "binary-2-unit-tanh-keras-bce",
        "head.range_mismatch",
        dataset=FASHION_SHIRTS,
        model=head(2, "tanh"),
        loss="keras_bce",
        optimizer="sgd",
        profile="keras",
        batch_size=20,
        epochs=2,
        within=0,
        task="binary",
    ),
    Setup(
        "binary-sigmoid-into-bce-logits",
        "head.double_activation",
        dataset=FASHION_SHIRTS,
        model=head(1, "sigmoid"),
        loss="bce_logits",
        batch_size=64,
        epochs=1,
        within=0,
        task="binary",
    ),
    Setup(
        "softmax-into-cross-entropy",
        "head.double_activation",
        model=head(None, "softmax"),
        epochs=1,
        within=0,
    ),
    Setup(
        "linear-head-into-categorical-ce",
        "head.range_mismatch",
        model=head(None, "linear"),
        loss="categorical_crossentropy",
        epochs=1,
        within=0,
    ),
    Setup(
        "binary-1-unit-cross-entropy",
        "head.units_mismatch",
        dataset=FASHION_SHIRTS,
        model=head(1, "linear"),
        batch_size=64,
        epochs=1,
        within=0,
        task="binary",
    ),
    # -- overfitting ----------------------------------------------------------------------------
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
    Setup(
        "fashion-300-examples-memorised",
        "val.overfitting",
        dataset=FASHION,
        model=ModelSpec(hidden=(512,)),
        optimizer="sgd:lr=0.1",
        data=first(300),
        epochs=30,
        batch_size=16,
        within=30,
    ),
    Setup(
        "binary-200-examples-memorised",
        "val.overfitting",
        dataset=FASHION_SHIRTS,
        model=ModelSpec(hidden=(512,)),
        optimizer="adam",
        data=first(200),
        epochs=40,
        batch_size=16,
        within=40,
        task="binary",
    ),
    # -- a user-written classifier handed over by reference (issue 18) ---------------------
    Setup(
        "user-factory-softmax-into-cross-entropy",
        "head.double_activation",
        model=user("mlp", head="softmax"),
        epochs=1,
        within=0,
    ),
    # -- regression: diabetes ---------------------------------------------------------------
    regression(
        "regression-raw-targets-adam",
        "data.unscaled_targets",
        dataset=DIABETES_RAW,
        epochs=2,
        within=-1,
        also=("grad.exploding",),
    ),
    regression(
        "regression-raw-targets-sgd",
        "data.unscaled_targets",
        dataset=DIABETES_RAW,
        optimizer="sgd:lr=0.01",
        epochs=1,
        within=-1,
        also=("train.nan_loss",),
    ),
    regression(
        "regression-user-sigmoid-head",
        "head.range_mismatch",
        model=user("mlp", head="sigmoid"),
        epochs=2,
        within=0,
    ),
    regression(
        "regression-user-relu-head-tanh",
        "head.range_mismatch",
        model=user("mlp", activation="tanh", head="relu"),
        optimizer="rmsprop:lr=0.001",
        epochs=2,
        within=0,
    ),
    regression(
        "regression-shuffled-targets",
        "data.labels_unrelated",
        data=shuffled_labels,
        optimizer="sgd:lr=0.01",
        epochs=7,
        within=-1,
        also=("train.at_chance", "train.not_decreasing"),
    ),
    regression(
        "regression-sgd-lr0.3-diverges",
        "train.diverged",
        optimizer="sgd:lr=0.3",
        epochs=2,
        within=1,
    ),
    regression(
        "regression-sgd-lr1e-7-frozen",
        "opt.update_ratio_low",
        optimizer="sgd:lr=1e-7",
        epochs=3,
        within=2,
        also=("train.loss_frozen",),
    ),
    regression(
        "regression-reused-trained-model",
        "init.loss_too_low",
        pretrain="adam:lr=0.01",
        epochs=1,
        within=0,
    ),
    regression(
        "regression-negative-bias-dying-relu",
        "act.dying_relu",
        weights=hidden_bias(-10.0),
        epochs=2,
        within=1,
        also=("head.constant_output",),
    ),
    regression(
        "regression-60-patients-memorised",
        "val.overfitting",
        model=ModelSpec(hidden=(256, 256)),
        optimizer="adam:lr=0.003",
        data=first(60),
        epochs=12,
        batch_size=16,
        within=12,
    ),
    # -- language modelling: Python sources, character level ----------------------------------
    language_model(
        "lm-user-transformer-no-causal-mask",
        "model.sees_future",
        model=user("char_transformer", causal=False),
        epochs=1,
        within=0,
    ),
    language_model(
        "lm-user-softmax-into-cross-entropy",
        "head.double_activation",
        model=user("char_transformer", head="softmax"),
        epochs=3,
        within=0,
        also=("train.loss_frozen",),
    ),
    language_model(
        "lm-shuffled-targets",
        "data.labels_unrelated",
        data=shuffled_labels,
        epochs=6,
        within=-1,
        also=("train.at_chance",),
    ),
    language_model(
        "lm-adam-lr1-diverges", "train.diverged", optimizer="adam:lr=1", epochs=2, within=1
    ),
    language_model(
        "lm-user-conv-sgd-lr1e-7-frozen",
        "opt.update_ratio_low",
        model=user("conv_lm"),
        optimizer="sgd:lr=1e-7",
        epochs=2,
        within=2,
        also=("train.loss_frozen",),
    ),
    language_model(
        "lm-reused-trained-model",
        "init.loss_too_low",
        model=user("conv_lm"),
        pretrain="adam:lr=0.003",
        optimizer="adam:lr=0.003",
        epochs=1,
        within=0,
    ),
    language_model(
        "lm-48-sequences-memorised",
        "val.overfitting",
        model=user("gru_lm", width=128),
        optimizer="adam:lr=0.01",
        data=first(48),
        epochs=14,
        within=14,
    ),
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
        "digits-adam-sigmoid-2x64-keras",
        None,
        model=ModelSpec(hidden=(64, 64), activation="sigmoid", init="keras"),
        epochs=8,
    ),
    Setup(
        "digits-nesterov-gelu",
        None,
        model=ModelSpec(hidden=(128, 64), activation="gelu"),
        optimizer="nesterov:lr=0.05",
    ),
    Setup(
        "digits-nadam-elu", None, model=ModelSpec(hidden=(32,), activation="elu"), optimizer="nadam"
    ),
    Setup("digits-adam-deep-relu-6x64", None, model=ModelSpec(hidden=(64,) * 6)),
    Setup("digits-adam-20-epochs", None, epochs=20),
    Setup("digits-sgd-15-epochs-batch-8", None, optimizer="sgd:lr=0.05", epochs=15, batch_size=8),
    Setup("user-cnn-adam", None, module=SmallCNN),
    Setup("user-residual-mlp-adam", None, module=ResidualMLP, epochs=6),
    Setup("user-log-softmax-into-cross-entropy", None, module=LogSoftmaxMLP),
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
        task="binary",
    ),
    Setup(
        "binary-1-unit-sigmoid-bce-keras",
        None,
        dataset=FASHION_SHIRTS,
        model=replace(head(1, "sigmoid", (128,)), init="keras"),
        loss="bce",
        optimizer="adam",
        profile="keras",
        batch_size=20,
        task="binary",
    ),
    Setup(
        "binary-1-unit-linear-bce-logits",
        None,
        dataset=FASHION_SHIRTS,
        model=head(1, "linear"),
        loss="bce_logits",
        optimizer="sgd:lr=0.1",
        batch_size=64,
        task="binary",
    ),
    Setup(
        "binary-2-unit-softmax-categorical",
        None,
        dataset=FASHION_SHIRTS,
        model=head(2, "softmax"),
        loss="categorical_crossentropy",
        optimizer="rmsprop",
        profile="keras",
        batch_size=64,
        task="binary",
    ),
    # -- regression -----------------------------------------------------------------------------
    regression("regression-adam-20-epochs", None, epochs=20),
    regression(
        "regression-sgd-32-units",
        None,
        model=ModelSpec(hidden=(32,)),
        optimizer="sgd:lr=0.01",
        epochs=20,
    ),
    regression("regression-mae-adam", None, loss="mae", epochs=15),
    regression("regression-huber-adamw", None, loss="huber", optimizer="adamw", epochs=15),
    regression("regression-user-residual-adam", None, model=user("residual_regressor"), epochs=15),
    regression(
        "regression-user-tanh-momentum",
        None,
        model=user("mlp", activation="tanh"),
        optimizer="momentum:lr=0.01",
        epochs=15,
    ),
    regression(
        "regression-rmsprop-keras-tanh",
        None,
        model=ModelSpec(hidden=(64, 64), activation="tanh", init="keras"),
        optimizer="rmsprop",
        profile="keras",
        epochs=15,
    ),
    # -- language modelling ---------------------------------------------------------------------
    language_model("lm-user-transformer-adamw", None, epochs=8),
    language_model(
        "lm-user-transformer-2-layers-adam",
        None,
        model=user("char_transformer", layers=2),
        optimizer="adam:lr=0.001",
        epochs=4,
    ),
    language_model(
        "lm-user-conv-adam", None, model=user("conv_lm"), optimizer="adam:lr=0.003", epochs=6
    ),
    language_model(
        "lm-user-gru-rmsprop", None, model=user("gru_lm"), optimizer="rmsprop:lr=0.003", epochs=6
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
            self._loaded[key] = load_dataset(
                setup.dataset, self.cache_dir, allow_download=False, task=setup.engine_task
            )
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
        loss=setup.loss,
        task=setup.engine_task,
    )


def run_setup(setup: Setup, datasets: Datasets, *, monitors: bool = True) -> Outcome:
    """Train `setup` with the monitors on; collect static and runtime findings."""
    data = datasets.get(setup)
    spec = trial_spec(setup)
    # As the executors attach them: the setup check, then the monitors. On the autograd step,
    # which user-written modules take anyway: the setups' thresholds were measured on it (on
    # the native step float32 round-off moves some borderline setups, e.g. tanh-adam-lr0.1
    # ends just under the oscillation threshold).
    callbacks = [SetupCheck(setup.stop_on), *build_monitors(setup.stop_on)] if monitors else []
    options = TrainOptions(histogram_freq=0, stop_on=setup.stop_on, native=False)
    with _user_model(setup.module):
        initial = _initial_state(setup, spec, data)
        events = list(train_trial(spec, data, options, callbacks, initial))
    records = [e for e in events if isinstance(e, EpochRecord)]
    result = events[-1]
    assert isinstance(result, TrialResult)
    runtime = [f for r in records for f in r.findings] + result.findings
    outcome = Outcome(setup, [*check_data(data), *runtime], records, result)
    outcome.extra["monitors"] = callbacks[1:]
    return outcome


def _initial_state(setup: Setup, spec: TrialSpec, data: Dataset) -> dict[str, Any] | None:
    if setup.pretrain is not None:
        keep = KeepFinalWeights()
        first = replace(trial_spec(setup, setup.pretrain), epochs=3)
        for _ in train_trial(first, data, TrainOptions(histogram_freq=0), [keep]):
            pass
        return keep.state
    if setup.weights is not None:
        model = build_model(spec.model, data.input_shape, data.num_outputs, seed=spec.seed)
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
    roots = ", ".join(sorted(outcome.roots()))
    return (
        f"{mark} {outcome.setup.name:38s} expect={outcome.setup.expect}  raised: {raised}  "
        f"roots: {roots}"
    )
