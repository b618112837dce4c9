"""The records that flow through optbench: specs in, records out.

Specs are frozen dataclasses that describe *what* to run; their JSON form is stable, so a
trial's id (a hash of its resolved spec) is the key a study resumes by. Records describe what
happened; they are plain data so they can cross process (and Ray) boundaries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from optbench.core.settings import (
    Choice,
    Codes,
    Device,
    Integer,
    ListOf,
    Number,
    Optional,
    Typed,
    positive,
    seed,
    setting,
)

Profile = Literal["torch", "keras"]
Severity = Literal["info", "warning", "error"]
TrialStatus = Literal["pending", "running", "finished", "failed", "stopped"]

MAX_TRIALS = 10_000  # default limit on a study's trials, tuning included (plan/limits.py)
MAX_TRIALS_CEILING = 10_000_000  # the most `max_trials` may allow
MAX_EPOCHS = 100_000  # beyond this a typo is likelier than a plan
MAX_BATCH = 10_000_000
EXECUTORS = ("local", "ray")


def stable_json(obj: Any) -> str:
    """JSON with sorted keys and tuples as lists: equal configs give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise TypeError(f"not JSON-serialisable: {obj!r}")


def short_hash(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def portable_reference(ref: Any) -> Any:
    """`/abs/path/cnn.py:build` → `cnn.py:build` (the file's hash identifies it); other
    values as they are."""
    if not isinstance(ref, str) or ":" not in ref:
        return ref
    left, _, name = ref.rpartition(":")
    if left.endswith(".py") or "/" in left:
        return f"{left.replace(chr(92), '/').rsplit('/', 1)[-1]}:{name}"
    return ref


# Fields added after studies were first stored: left out of an id while at their default.
_NEW_DEFAULTS: dict[tuple[str, ...], Any] = {
    ("task",): "classification",
    ("loss_source",): None,
    ("model", "factory"): None,
    ("model", "kwargs"): (),
    ("model", "source"): None,
    ("dataset", "loader"): None,
    ("dataset", "source"): None,
}


def _drop_defaults(config: dict[str, Any], defaults: dict[tuple[str, ...], Any]) -> None:
    for path, default in defaults.items():
        *parents, key = path
        part = config
        for parent in parents:
            part = part[parent]
        if key in part and (part[key] == default or (default == () and not part[key])):
            del part[key]


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by registry name (or `module.path:Class`), its hyperparameters and profile.

    `profile` picks the defaults *and* the update rule: `torch` follows torch.optim, `keras`
    follows Keras 3 (e.g. Adam's epsilon outside the bias correction, RMSprop's inside the root).
    """

    name: str
    hparams: dict[str, Any] = field(default_factory=dict)
    profile: Profile = "torch"

    @property
    def label(self) -> str:
        """Short display name: `adam`, or `adam(lr=0.0003)` when hyperparameters were set."""
        if not self.hparams:
            return self.name
        inner = ",".join(f"{k}={_fmt(v)}" for k, v in sorted(self.hparams.items()))
        return f"{self.name}({inner})"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return "/".join(_fmt(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset by registry name, where to read it from, and how to preprocess it.

    `scale=True` maps pixels from 0–255 to [0, 1] (the seed study forgot this);
    `train_size`/`test_size` keep the first N examples (quick runs and tests).
    """

    name: str
    path: str | None = None
    scale: bool = True
    train_size: int | None = None
    test_size: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # Learning-rate search only: the last `holdout` training examples become the evaluation
    # split, so tuning never looks at the test set.
    holdout: int | None = None
    # Your own data: `module:function` or `file.py:function` returning the splits
    # (data/loader.py); `options` are then its keyword arguments. `source`: a hash of the
    # loader's file, so an edited loader makes new trials (core/imports.py).
    loader: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model by registry name: `mlp` with hidden sizes and activation, and an init profile.

    `init="keras"` gives Glorot-uniform weights and zero biases (Keras Dense defaults);
    `init="torch"` keeps nn.Linear's Kaiming-uniform defaults.
    """

    name: str = "mlp"
    hidden: tuple[int, ...] = (128,)
    activation: str = "relu"
    init: Profile = "torch"
    # The output layer: `head_units` units (None = one per class) and its activation
    # ("linear" = logits, which the default cross-entropy loss expects).
    head_units: int | None = None
    head_activation: str = "linear"
    # Your own model: `module:function` or `file.py:function`, called as
    # function(input_shape, num_outputs, **kwargs) for a fresh nn.Module (models/factory.py).
    # kwargs as (name, value) pairs (the spec stays hashable); `source`: a hash of its file.
    factory: str | None = None
    kwargs: tuple[tuple[str, Any], ...] = ()
    source: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelSpec:
        """From `asdict` or its JSON: lists back to the tuples a hashable spec holds."""
        kwargs = tuple((k, freeze(v)) for k, v in raw.get("kwargs", ()))
        return cls(**{**raw, "hidden": tuple(raw["hidden"]), "kwargs": kwargs})


def freeze(value: Any) -> Any:
    """Lists (from JSON or TOML) as tuples, recursively: a spec's values stay hashable."""
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class HeadSpec:
    """One output-layer configuration of a head study: units × activation × loss."""

    units: int | None = None  # None = one unit per class
    activation: str = "linear"
    loss: str = "cross_entropy"

    @property
    def label(self) -> str:
        units = "C" if self.units is None else str(self.units)
        return f"{units}×{self.activation} + {self.loss}"


@dataclass(frozen=True)
class TrialSpec:
    """One training run: everything that determines its result, and nothing else."""

    dataset: DatasetSpec
    model: ModelSpec
    optimizer: OptimizerSpec
    seed: int
    epochs: int
    batch_size: int
    loss: str = "cross_entropy"
    device: str = "cpu"
    # The trial whose final weights this one starts from (only in reuse_model studies).
    init_from: str | None = None
    # Display name of the optimizer as the user wrote it (`adam`, `adam(lr=0.01)`); the resolved
    # `optimizer` holds every hyperparameter. Not part of the id: it cannot change a result.
    optimizer_label: str = field(default="", compare=False)
    # What the trial learns (models/task.py): it decides the loss, metrics and outputs.
    task: str = "classification"
    loss_source: str | None = None  # a hash of the file of a loss given as `module:function`

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrialSpec:
        """The spec `to_dict()` (or its JSON, as the store keeps it) was made from: same id."""
        return cls(
            **{
                **raw,
                "dataset": DatasetSpec(**raw["dataset"]),
                "model": ModelSpec.from_dict(raw["model"]),
                "optimizer": OptimizerSpec(**raw["optimizer"]),
            }
        )

    @property
    def id(self) -> str:
        """Stable id: a hash of the resolved config (the key a study resumes by).

        Your own code counts by its content and name (`source` hashes), not by where its file
        lies; settings at their defaults that earlier versions did not have are left out, so
        the ids of existing studies stay as they were.
        """
        config = self.to_dict()
        del config["optimizer_label"]
        for part, key in ((config["model"], "factory"), (config["dataset"], "loader")):
            part[key] = portable_reference(part[key])
        config["loss"] = portable_reference(config["loss"])
        _drop_defaults(config, _NEW_DEFAULTS)
        return short_hash(stable_json(config))

    @property
    def group(self) -> str:
        """What this trial is compared as: the optimizer label (seeds are its replicates)."""
        return self.optimizer_label or self.optimizer.label

    @property
    def label(self) -> str:
        return f"{self.group} seed={self.seed}"


@dataclass
class Finding:
    """A diagnosed problem: stable code (e.g. `data.unscaled_inputs`), severity, message, fix."""

    code: str
    severity: Severity
    message: str
    fix: str
    trial_id: str | None = None
    epoch: int | None = None


@dataclass
class EpochRecord:
    """Metrics of one finished epoch (1-based). Tags: `train/loss`, `val/acc`, `opt/lr`, …"""

    trial_id: str
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: float
    lr: float
    grad_norm: float
    # The task's other metrics, by tag (`val/r2`, `train/perplexity`, …): accuracy has its own
    # fields above (NaN where a task has none, e.g. regression).
    metrics: dict[str, float] = field(default_factory=dict)
    histograms: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Findings raised up to and during this epoch (stored with the epoch, so a killed trial
    # keeps them), and the bytes of a checkpoint taken after it (None = not checkpointed).
    findings: list[Finding] = field(default_factory=list, repr=False, compare=False)
    checkpoint: bytes | None = field(default=None, repr=False, compare=False)

    def scalars(self) -> dict[str, float]:
        """Metric tag → value, the same strings in TensorBoard, the store and reports."""
        return {
            "train/loss": self.train_loss,
            "train/acc": self.train_acc,
            "val/loss": self.val_loss,
            "val/acc": self.val_acc,
            "opt/lr": self.lr,
            "opt/grad_norm": self.grad_norm,
            "time/epoch_seconds": self.seconds,
            **self.metrics,
        }


@dataclass
class TrialStarted:
    """Sent by a worker once a trial's model is built: proves the fair start."""

    trial_id: str
    init_fingerprint: str
    first_batch_loss: float
    env: dict[str, Any]
    resumed_from: int = 0  # the epoch a checkpoint restored (0 = a fresh start)


@dataclass
class TrialResult:
    """How a trial ended. `error` holds the message when status is `failed`."""

    trial_id: str
    status: TrialStatus
    final_fingerprint: str | None = None
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class ReferenceResult:
    """Numbers reported elsewhere for one group of a study: final-epoch metrics by tag
    (`train/acc`, `val/loss`, …), and a note on them (e.g. which epoch the scan shows)."""

    group: str
    metrics: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class ReferenceSpec:
    """Results reported elsewhere (a paper, the homework), shown beside the measured ones.

    `conditions` says how they were obtained, in the study file's own terms (`dataset`,
    `scale`, `reuse_model`, `seeds` as a count, `epochs`, `batch_size`, `profile`); the report
    names each one that differs from the study. It never affects training.
    """

    source: str
    results: tuple[ReferenceResult, ...]
    conditions: dict[str, Any] = field(default_factory=dict)
    url: str = ""


@dataclass(frozen=True)
class StudySpec:
    """A whole study: one setup run under every optimizer (and grid point) for every seed.

    Optimizer hyperparameters given as lists are grids; `expand()` turns the study into one
    TrialSpec per grid point × seed.
    """

    name: str
    dataset: DatasetSpec
    model: ModelSpec
    optimizers: tuple[OptimizerSpec, ...]
    seeds: tuple[int, ...] = setting(
        (0,),
        "Comma list of seeds, e.g. 0,1,2 (mean ± std in the report).",
        ListOf("must be a non-empty list of integers in [0, 2^31)", seed, int, unique=True),
        option=True,
    )
    epochs: int = setting(10, "Epochs per trial.", Integer(1, MAX_EPOCHS), option=True)
    batch_size: int = setting(64, "Examples per step.", Integer(1, MAX_BATCH), option=True)
    loss: str = "cross_entropy"  # the task's and its losses': plan/user_code.task_and_loss
    device: str = setting("cpu", "cpu, cuda, cuda:N.", Device(), option=True)
    executor: str = setting(
        "local",
        "local (this machine) or ray (a Ray cluster).",
        Choice(*EXECUTORS),
        option=True,
    )
    workers: int | None = setting(
        None,
        "Trials side by side (default: one per core).",
        Optional(Integer(1, 4096)),
        option=True,
    )
    histogram_freq: int = setting(
        1,
        "Epochs between TensorBoard histograms (0: none).",
        Integer(0, MAX_EPOCHS),
        option=True,
    )
    monitors: bool = setting(
        True,
        "Watch trials for training problems (optbench.diagnose).",
        Typed(bool),
        option=True,
    )
    stop_on: tuple[str, ...] = setting(
        ("train.nan_loss",),
        "Finding codes that end a trial, e.g. nan_loss,diverged.",
        Codes(),
        option=True,
    )
    # The homework's mistake, reproducible on purpose: each optimizer continues training the
    # previous optimizer's model (per seed) instead of starting fresh. Flagged in the report.
    reuse_model: bool = setting(
        False,
        "Reproduce the homework's mistake: each optimizer continues the previous one's model.",
        Typed(bool),
        option=True,
    )
    stack: bool = setting(
        True,
        "Train compatible trials as replica groups (the same numbers either way).",
        Typed(bool),
        option=True,
    )
    # Compiled code (optbench.native, built by setup.sh): MLP groups on the CPU take the native
    # step, and optimizers without a torch fused kernel the native update. False keeps both on
    # torch's own kernels (another numerics configuration: they agree to float32 round-off).
    native: bool = setting(
        True,
        "Compiled code where it applies (built by setup.sh): the MLP step and the optimizer "
        "updates torch has no fused kernel for; --no-native: torch's own kernels only.",
        Typed(bool),
        option=True,
    )
    # Learning-rate tuning: "lr" searches `lr_grid` for every optimizer (equal budget: one
    # seed, the study's epochs, on a held-out part of the training set), then reruns the best
    # learning rate with every seed. "" = no tuning.
    tune: str = setting(
        "",
        "'lr': tune each optimizer's learning rate (equal budget), then rerun.",
        Choice("", "lr"),
        option=True,
    )
    lr_grid: tuple[float, ...] = setting(
        (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
        "Learning rates to search, e.g. 1e-4,1e-3,1e-2 (default: 7-point log grid).",
        ListOf("must list at least two positive learning rates", positive, float, min_items=2),
        option=True,
    )
    # Head study: when given, every head × optimizer × seed is a trial (overrides `loss`).
    heads: tuple[HeadSpec, ...] = ()
    # What the trials learn (models/task.py); a `module:function` loss's file hash.
    task: str = "classification"
    loss_source: str | None = None
    # Ray executor: cluster address ("auto", "host:port"; None = start a local one) and the
    # resources each trial asks for.
    address: str | None = setting(
        None,
        "Ray cluster address: auto or host:port (default: start a local Ray).",
        Optional(Typed(str)),
        option=True,
    )
    num_cpus: float = setting(1.0, "CPUs a Ray trial asks for.", Number(0.0, 1024.0))
    num_gpus: float = setting(0.0, "GPUs a Ray trial asks for.", Number(0.0, 64.0))
    # Numbers reported elsewhere to show beside the results (`[reference]` in a study file).
    reference: ReferenceSpec | None = None
    # The most trials the study may have (plan/limits.py); None = the default limit.
    max_trials: int | None = setting(
        None,
        f"Refuse a study of more trials (default {MAX_TRIALS:,}).",
        Optional(Integer(1, MAX_TRIALS_CEILING)),
        option=True,
    )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> StudySpec:
        """The study `to_dict()` (or its JSON, as the store keeps it) was made from."""
        tuples = ("seeds", "stop_on", "lr_grid")
        return cls(
            **{
                **raw,
                **{k: tuple(raw[k]) for k in tuples if k in raw},
                "dataset": DatasetSpec(**raw["dataset"]),
                "model": ModelSpec.from_dict(raw["model"]),
                "optimizers": tuple(OptimizerSpec(**o) for o in raw["optimizers"]),
                "heads": tuple(HeadSpec(**h) for h in raw.get("heads", ())),
            }
        )
