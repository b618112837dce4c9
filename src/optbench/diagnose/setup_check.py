"""The static setup checker: will this head, this loss and these labels train at all?

`check_setup(model, loss, sample_batch, labels)` works on *any* `nn.Module`. It runs one dry
forward pass on a real batch (eval mode, no backward, no parameter or RNG change; train/eval
modes restored) and reads three things:

  * the output: its width, its range, whether rows sum to 1, whether it is constant;
  * the head's last operation, from the autograd graph of that forward (`SoftmaxBackward0`,
    `TanhBackward0`, …), so it is found even when the activation is a function call in
    `forward()` and not a module; when nothing is recorded, from the output's range;
  * the loss (an optbench loss name, a torch loss module or a torch.nn.functional loss) and
    the labels, as the loss will receive them.

Each problem is a Finding with a stable code (registered in `diagnose.CODES`), a severity, a
message that explains it with this batch's numbers, and the fix. Severity means: `error` —
the setup cannot learn, or what it optimises is not what was meant; `warning` — it works,
with a trade-off worth knowing; `info` — fine, but know what it means.

`SetupCheck` runs it at the start of every trial (an engine callback); `check_trial` and
`check_study` run it on a study's real first batch before training (`optbench doctor`).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from optbench.core.errors import ConfigError
from optbench.core.imports import is_reference
from optbench.core.specs import Finding, StudySpec, TrialSpec, portable_reference
from optbench.data import Dataset
from optbench.diagnose.codes import CODES, CodeInfo
from optbench.diagnose.monitors.initial_loss import judge_initial_loss
from optbench.diagnose.numbers import pct, sig
from optbench.diagnose.stop import resolve_stop_on
from optbench.diagnose.task import chance_from_batch, task_for
from optbench.engine import Callback, TrialContext, check_models_fit
from optbench.engine.batches import BatchOrder
from optbench.models import TASKS, build_model
from optbench.models.registry import describe_model
from optbench.plan import expand

LossLike = str | nn.Module | Callable[..., torch.Tensor]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

# -- the codes --------------------------------------------------------------------------------

SETUP_CODES = (
    CodeInfo(
        "head.single_unit_softmax",
        "error",
        "Softmax over a single output unit",
        "softmax(z) = exp(z)/exp(z) = 1 for every input: the prediction never changes, "
        "accuracy equals the share of one class (0.5000 on a balanced binary set) in every "
        "epoch, and no gradient flows back through the softmax. The seed's 1-unit softmax head.",
        "For one output unit use a sigmoid with binary cross-entropy (or a linear unit with "
        "BCE-with-logits); for softmax use one unit per class with (sparse) categorical "
        "cross-entropy.",
    ),
    CodeInfo(
        "head.constant_output",
        "error",
        "The model's output does not depend on the input",
        "Every example of the batch gets the same output: saturated or dead output units (tanh "
        "at ±1, a ReLU head at 0) pass no gradient, so the prediction is stuck at one class.",
        "Scale the inputs, use a standard initialisation, and a sigmoid/softmax/linear head "
        "matched to the loss.",
    ),
    CodeInfo(
        "head.range_mismatch",
        "error",
        "The head's output range does not fit the loss",
        "Probability losses take log(p) and log(1 - p): outputs outside [0, 1] (tanh, ReLU, "
        "linear heads) are clipped (Keras) or rejected (PyTorch), and a clipped output has zero "
        "gradient, so it never comes back. The seed's 2-unit tanh head froze its loss at "
        "7.6685 this way.",
        "Use a sigmoid (binary) or softmax (categorical) head with a probability loss, or a "
        "linear head with a loss on logits (BCE-with-logits, CrossEntropyLoss).",
    ),
    CodeInfo(
        "head.double_activation",
        "error",
        "The activation is applied twice",
        "The loss applies softmax/sigmoid itself (CrossEntropyLoss, BCEWithLogitsLoss), and the "
        "head already did: the loss sees squashed values as logits, its gradients shrink, it "
        "cannot approach zero, and the numbers reported are not the cross-entropy.",
        "Remove the head's softmax/sigmoid (a linear head), or use the loss on probabilities "
        "(NLLLoss on log_softmax, BCELoss on sigmoid).",
    ),
    CodeInfo(
        "head.units_mismatch",
        "error",
        "Output units do not match the classes",
        "The head's width must fit the loss: C units for C-class (sparse) cross-entropy, 1 or C "
        "units for binary cross-entropy. A 1-unit cross-entropy is always 0; fewer units than "
        "classes cannot represent the labels.",
        "Give the head one unit per class (or 1 unit with a sigmoid and binary cross-entropy "
        "for two classes).",
    ),
    CodeInfo(
        "labels.out_of_range",
        "error",
        "Labels out of range for the loss",
        "Class indices must lie in 0..C-1 and binary targets in [0, 1]; other values make the "
        "loss fail or optimise nonsense.",
        "Relabel the classes 0..C-1 (binary: 0 and 1).",
    ),
    CodeInfo(
        "labels.encoding",
        "error",
        "Labels are encoded the wrong way for the loss",
        "Each loss wants its own target form: class indices (int64 [B]) for CrossEntropyLoss "
        "and NLLLoss; float targets shaped like the output for BCELoss, BCEWithLogitsLoss and "
        "MSELoss (a column [B, 1] for one unit, one-hot [B, C] for C units). A mismatch fails, "
        "or silently broadcasts to [B, B].",
        "Encode the labels as the loss expects (see the message), or use an optbench loss "
        "name, which encodes index labels by the output's width as Keras does.",
    ),
    CodeInfo(
        "loss.regression_on_classes",
        "warning",
        "A regression or margin loss on class labels",
        "MSE and hinge do train a classifier, with a trade-off: MSE through a sigmoid/softmax "
        "has gradients that vanish when the output saturates on the wrong side and gives no "
        "calibrated probabilities; hinge gives margins, not probabilities. Cross-entropy "
        "usually trains faster.",
        "Prefer cross-entropy unless you want this trade-off.",
    ),
    CodeInfo(
        "head.two_unit_sigmoid_bce",
        "info",
        "Two sigmoid units with binary cross-entropy",
        "This works (the seed's best head): each unit is its own yes/no classifier of one "
        "class on one-hot targets, so the two outputs need not sum to 1 and the model may say "
        "'both' or 'neither'. It is a multi-label head used for a single-label task, with twice "
        "the output parameters of the equivalent 1-unit sigmoid.",
        "Nothing to fix. For calibrated single-label probabilities use 1 sigmoid unit + BCE, "
        "or 2 softmax units + categorical cross-entropy.",
    ),
    CodeInfo(
        "head.redundant_log_softmax",
        "info",
        "log_softmax before a loss that applies it",
        "Cross-entropy on logits applies log_softmax itself, and log_softmax is idempotent "
        "(log_softmax(log_softmax(z)) = log_softmax(z)): a head that already ends in "
        "log_softmax trains exactly as a linear head would. Harmless, but redundant work, and "
        "a sign the model was written for NLLLoss.",
        "Drop the head's log_softmax (a linear head), or keep it and use NLLLoss.",
    ),
    CodeInfo(
        "loss.unknown",
        "info",
        "Loss not recognised by the checker",
        "The checker knows optbench's losses and torch's standard losses; for others it checks "
        "only the output (constant output, single-unit softmax) and whether the loss runs.",
        "Nothing to fix; compare your loss's expected output and targets with the head.",
    ),
)
for _info in SETUP_CODES:
    if _info.code not in CODES:
        CODES.register(_info.code, _info)

# -- the loss -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LossKind:
    """What a loss expects: `expects` (logits, probabilities, …) and who encodes the labels.

    `encoded`: an optbench loss (or your own, named in a study), which the engine hands the
    labels encoded by `encode` (class indices into its own targets, regression targets shaped
    like the outputs); a torch loss takes the labels as they are. `task`: the task it trains
    (models/task.py), which decides what the labels are.
    """

    name: str
    expects: str
    encoded: bool
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None
    encode: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    task: str = "classification"


_TORCH_MODULES: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.BCEWithLogitsLoss, "binary_logits"),
    (nn.BCELoss, "binary_probabilities"),
    (nn.CrossEntropyLoss, "logits"),
    (nn.NLLLoss, "log_probabilities"),
    (nn.KLDivLoss, "log_probabilities"),
    (nn.MSELoss, "regression"),
    (nn.L1Loss, "regression"),
    (nn.SmoothL1Loss, "regression"),
    (nn.HuberLoss, "regression"),
    (nn.HingeEmbeddingLoss, "margin"),
    (nn.MultiMarginLoss, "margin"),
    (nn.SoftMarginLoss, "margin"),
)
_TORCH_FUNCTIONS: dict[Callable[..., torch.Tensor], str] = {
    F.binary_cross_entropy_with_logits: "binary_logits",
    F.binary_cross_entropy: "binary_probabilities",
    F.cross_entropy: "logits",
    F.nll_loss: "log_probabilities",
    F.kl_div: "log_probabilities",
    F.mse_loss: "regression",
    F.l1_loss: "regression",
    F.smooth_l1_loss: "regression",
    F.huber_loss: "regression",
    F.hinge_embedding_loss: "margin",
    F.multi_margin_loss: "margin",
    F.soft_margin_loss: "margin",
}


def describe_loss(loss: LossLike, task: str = "classification") -> LossKind:
    """Classify `loss`: an optbench loss name of `task` (your own loss as 'file.py:function',
    which the checker cannot read: "unknown"), a torch loss module or function, or unknown."""
    if isinstance(loss, str):
        info = TASKS.get(task).loss_info(loss)  # unknown names: ConfigError with a suggestion
        expects = "unknown" if is_reference(loss) else info.expects
        return LossKind(info.name, expects, True, info.loss, info.encode, task)
    if isinstance(loss, nn.Module):
        for kind, expects in _TORCH_MODULES:
            if isinstance(loss, kind):
                return LossKind(f"nn.{kind.__name__}", expects, False, loss)
        return LossKind(type(loss).__name__, "unknown", False, loss)
    if callable(loss):
        expects = _TORCH_FUNCTIONS.get(loss, "unknown")  # type: ignore[arg-type]
        name = getattr(loss, "__name__", repr(loss))
        return LossKind(f"F.{name}" if expects != "unknown" else name, expects, False, loss)
    raise ConfigError(
        f"`loss` must be an optbench loss name, a torch loss module or a loss function. "
        f"Received: {loss!r}"
    )


# -- the output -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputProfile:
    """What one dry forward showed: the output's shape, its values as [N, units] (float, on the
    CPU, detached) and the head's last operation."""

    shape: tuple[int, ...]
    values: torch.Tensor
    activation: str  # softmax, sigmoid, tanh, relu, log_softmax, linear or unknown
    from_graph: bool  # True: read from the autograd graph; False: guessed from the range

    @property
    def units(self) -> int:
        return self.values.shape[1]

    @property
    def low(self) -> float:
        return float(self.values.min())

    @property
    def high(self) -> float:
        return float(self.values.max())

    @property
    def constant(self) -> bool:
        """Same output for every example (needs at least two examples to say)."""
        v = self.values
        if len(v) < 2:
            return False
        spread = (v.max(0).values - v.min(0).values).abs().max()
        return float(spread) <= 1e-6 * max(1.0, float(v.abs().max()))

    def as_model_output(self) -> torch.Tensor | None:
        """The values in the model's own output shape (None for outputs of rank > 2)."""
        return self.values.reshape(self.shape) if len(self.shape) <= 2 else None


_GRAPH_ACTIVATIONS = {
    "SoftmaxBackward0": "softmax",
    "SigmoidBackward0": "sigmoid",
    "TanhBackward0": "tanh",
    "ReluBackward0": "relu",
    "ThresholdBackward0": "relu",
    "LogSoftmaxBackward0": "log_softmax",
    "AddmmBackward0": "linear",
    "MmBackward0": "linear",
    "LinearBackward0": "linear",
    "AddBackward0": "linear",
    "ConvolutionBackward0": "linear",
    "BmmBackward0": "linear",
    "BaddbmmBackward0": "linear",
}
# Nodes that only reshape or copy: the activation sits behind them.
_PASS_THROUGH = (
    "View",
    "Reshape",
    "Unsqueeze",
    "Squeeze",
    "Expand",
    "Clone",
    "Alias",
    "Permute",
    "Transpose",
    "Flatten",
    "Contiguous",
    "ToCopy",
)


def profile_output(
    model: nn.Module, sample_batch: torch.Tensor, task: str = "classification"
) -> OutputProfile:
    """One dry forward: output values [N, units] and the head's last operation. A language
    model's logits [B, T, V] are read as B·T rows of V units (one per token position); other
    outputs keep their units on dim 1 ([B, C] or [B, C, H, W])."""
    with _dry_run(model), torch.enable_grad():
        raw = _first_tensor(model(sample_batch))
    values = raw.detach().float().cpu()
    if values.dim() == 1:
        values = values.reshape(-1, 1)
    elif task != "language_model":
        values = values.movedim(1, -1)
    values = values.reshape(-1, values.shape[-1])
    shape = tuple(raw.shape)
    activation = _graph_activation(raw.grad_fn)
    if activation == "unknown":
        return OutputProfile(shape, values, _range_activation(values), from_graph=False)
    return OutputProfile(shape, values, activation, from_graph=True)


@contextlib.contextmanager
def _dry_run(model: nn.Module):  # type: ignore[no-untyped-def]
    """Eval mode (no dropout, no BatchNorm statistics update) and the global RNG untouched;
    every module's own train/eval flag is restored afterwards."""
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        for module, training in modes.items():
            module.training = training


def _first_tensor(output: object) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, dict) and output:
        output = output.get("logits", next(iter(output.values())))
        return _first_tensor(output)
    if isinstance(output, list | tuple) and output:
        return _first_tensor(output[0])
    raise ConfigError(
        f"The model returned {type(output).__name__}; the checker needs a tensor of outputs "
        "(or a tuple/dict whose first entry or 'logits' is one)."
    )


def _graph_activation(node: object) -> str:
    while node is not None:
        name = type(node).__name__
        if name in _GRAPH_ACTIVATIONS:
            return _GRAPH_ACTIVATIONS[name]
        if not name.startswith(_PASS_THROUGH):
            return "unknown"
        node = next((n for n, _ in node.next_functions if n is not None), None)  # type: ignore[attr-defined]
    return "unknown"


def _range_activation(values: torch.Tensor) -> str:
    """Best guess without a graph: probabilities (rows summing to 1 → softmax) or not."""
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1:
        sums = values.sum(1)
        return "softmax" if torch.allclose(sums, torch.ones_like(sums), atol=1e-4) else "sigmoid"
    if high <= 0 and torch.allclose(values.exp().sum(1), torch.ones(len(values)), atol=1e-3):
        return "log_softmax"
    return "linear"


# -- the labels -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """The labels as given, and the number of classes (given, else inferred)."""

    tensor: torch.Tensor
    classes: int
    given: bool = False  # True: `num_classes` was passed, not inferred from this batch

    @property
    def is_index(self) -> bool:
        """1-D integer class indices (what optbench's engine and CrossEntropyLoss use)."""
        t = self.tensor
        return t.dim() == 1 and not t.is_floating_point() and t.dtype != torch.bool


def read_labels(
    labels: torch.Tensor, num_classes: int | None, task: str = "classification"
) -> Labels:
    labels = torch.as_tensor(labels).detach().cpu()
    if task == "language_model":  # next tokens [B, T]: class indices, one per position
        labels = labels.reshape(-1)
    if num_classes is not None:
        return Labels(labels, num_classes, given=True)
    if labels.dim() == 2 and labels.shape[1] > 1:
        return Labels(labels, labels.shape[1])  # one-hot or probability rows
    top = float(labels.max()) if labels.numel() else 1.0
    return Labels(labels, max(2, int(top) + 1) if math.isfinite(top) else 2)


# -- the checks -----------------------------------------------------------------------------


def check_setup(
    model: nn.Module,
    loss: LossLike,
    sample_batch: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int | None = None,
    task: str = "classification",
) -> list[Finding]:
    """Findings for this model, loss and labels on one real batch, most severe first.

    `loss`: an optbench loss name of `task` ("bce", "cross_entropy", "mse", …; labels are then
    class indices, next tokens or targets, encoded by the loss as the engine does), a torch
    loss module (nn.CrossEntropyLoss(), nn.BCELoss(), …) or a torch.nn.functional loss
    (F.cross_entropy, …; labels are used as given). `num_classes`: the task's class count
    (vocabulary size) when the batch may not show every class. `task`: "classification",
    "binary", "regression" (real targets: the head's range must reach them) or
    "language_model" (logits [B, T, V]; the output at a position must not depend on later
    tokens).

    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 1), nn.Softmax(dim=1))
    >>> x, y = torch.rand(8, 4), torch.arange(8) % 2
    >>> [f.code for f in check_setup(model, "bce", x, y)]
    ['head.single_unit_softmax']
    """
    kind = describe_loss(loss, task) if isinstance(loss, str) else describe_loss(loss)
    kind = replace(kind, task=task)
    out = profile_output(model, sample_batch, task)
    given = read_labels(labels, num_classes, task)
    findings: list[Finding] = []
    for rule in RULES:
        findings += rule(out, kind, given, findings)
    if task == "language_model":
        findings += check_causal(model, sample_batch, num_classes)
    if not any(f.severity == "error" for f in findings):  # the safety net: does it run?
        findings += _loss_runs(out, kind, given)
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])


def _finding(code: str, message: str, fix: str | None = None) -> Finding:
    info = CODES.get(code)
    return Finding(code=code, severity=info.severity, message=message, fix=fix or info.fix)


def _has(findings: list[Finding], code: str) -> bool:
    return any(f.code == code for f in findings)


Rule = Callable[[OutputProfile, LossKind, Labels, list[Finding]], list[Finding]]


def _single_unit_softmax(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    constant_one = out.units == 1 and out.low == out.high == 1.0
    if out.units != 1 or not (out.activation == "softmax" or constant_one):
        return []
    if kind.task == "regression":  # no classes: the constant output and the range say it
        return []
    share = _share_of_class_one(labels)
    extra = f" Here that share is {share:.4f}." if share is not None else ""
    if kind.name == "keras_bce":
        extra += (
            " tf.keras' binary_crossentropy computes its loss from the logit under the softmax, "
            "so the loss can still fall (the seed's 0.40) while the prediction never changes."
        )
    return [
        _finding(
            "head.single_unit_softmax",
            f"The head has 1 output unit followed by a softmax: its output is exactly 1.0 for all "
            f"{len(out.values)} examples of the batch. softmax over one unit is exp(z)/exp(z) = 1 "
            "whatever the input, so every example is predicted as class 1, accuracy equals the "
            f"share of class 1 in every epoch (chance on balanced data) and the softmax passes "
            f"no gradient back.{extra}",
        )
    ]


def _share_of_class_one(labels: Labels) -> float | None:
    t = labels.tensor
    if t.dim() == 1 or (t.dim() == 2 and t.shape[1] == 1):
        return float((t.reshape(-1).float() == 1).float().mean())
    return None


def _constant_output(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if not out.constant or _has(found, "head.single_unit_softmax"):
        return []
    row = ", ".join(f"{v:.4g}" for v in out.values[0, :6].tolist())
    return [
        _finding(
            "head.constant_output",
            f"All {len(out.values)} examples of the batch get the same output ({row}) from the "
            f"{out.activation} head: the prediction does not depend on the input. Saturated or "
            "dead output units pass no gradient, so this will not change by itself.",
        )
    ]


_PROBABILITY_KINDS = ("binary_probabilities", "probabilities")


def _range_mismatch(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if kind.task == "regression":
        return _regression_range(out, labels)
    if kind.expects in _PROBABILITY_KINDS:
        return _probability_range(out, kind)
    if kind.expects == "log_probabilities" and out.activation != "log_softmax":
        return [_log_probability_range(out, kind)]
    if kind.expects == "margin" and out.activation in ("sigmoid", "softmax"):
        return [
            _finding(
                "head.range_mismatch",
                f"{kind.name} is a margin loss on raw scores, but the {out.activation} head "
                "confines them to (0, 1): the margin ±1 is out of reach, the loss never "
                "reaches 0, and the decision threshold 0 is never crossed.",
                "Use a linear head with the hinge loss.",
            )
        ]
    return []


# The values each head activation can output (softmax rows also sum to 1).
_REACH = {
    "sigmoid": (0.0, 1.0),
    "softmax": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, math.inf),
}
# A regression head is squashed when at least this share of the batch's targets lies outside
# what it can output: such targets cannot be fitted at all, and pull the outputs to the edge
# of the range where the activation's gradient vanishes. Standardised diabetes targets: 56%
# below 0 (out of a sigmoid's or ReLU's reach), 41% beyond ±1 (a tanh's), 21% above 1. A ReLU
# head on all-positive targets (prices, counts) or a sigmoid on targets scaled to [0, 1]
# reaches every target and is fine. 5% leaves room for a few outliers beyond a chosen range.
SQUASHED_SHARE = 0.05


def _regression_range(out: OutputProfile, labels: Labels) -> list[Finding]:
    """head.range_mismatch when the head's activation cannot reach the regression targets."""
    reach = _REACH.get(out.activation)
    targets = labels.tensor.float()
    if reach is None or not targets.numel() or not targets.is_floating_point():
        return []
    low, high = reach
    outside = float(((targets < low) | (targets > high)).float().mean())
    if outside < SQUASHED_SHARE:
        return []
    span = f"[{sig(low)}, {'∞' if math.isinf(high) else sig(high)}]"
    return [
        _finding(
            "head.range_mismatch",
            f"The head ends in a {out.activation}, so every output lies in {span}, but "
            f"{pct(outside)} of this batch's regression targets lie outside it (they span "
            f"[{sig(float(targets.min()))}, {sig(float(targets.max()))}]). Those targets can "
            f"never be fitted, and chasing them pushes the outputs to the {out.activation}'s "
            "flat ends, where its gradient vanishes.",
            "End a regression model with a linear layer (no activation), or scale the targets "
            f"into {span} if that range is what you want.",
        )
    ]


def _probability_range(out: OutputProfile, kind: LossKind) -> list[Finding]:
    outside = out.low < 0 or out.high > 1
    if out.activation in ("sigmoid", "softmax") and not outside:
        return []
    if not outside and not out.from_graph:
        return []  # no graph, values happen to be in [0, 1]: nothing to say
    why = {
        "tanh": "tanh outputs lie in (-1, 1)",
        "relu": "ReLU outputs lie in [0, ∞)",
        "linear": "a linear head outputs any real number",
        "log_softmax": "log_softmax outputs are ≤ 0 (log-probabilities)",
    }.get(out.activation, f"the {out.activation} head is not a probability")
    return [
        _finding(
            "head.range_mismatch",
            f"{kind.name} expects probabilities in [0, 1], but {why}: this batch spans "
            f"[{out.low:.4g}, {out.high:.4g}]. Keras clips such outputs to [1e-7, 1 - 1e-7] and "
            "PyTorch's BCELoss rejects them; a clipped output has zero gradient, so each unit "
            "that leaves [0, 1] on the wrong side stays there with a loss term of ≈15.4 and "
            "never recovers. This is how the seed's 2-unit tanh head froze at loss 7.6685.",
            _probability_fix(kind, out.units),
        )
    ]


def _probability_fix(kind: LossKind, units: int) -> str:
    if kind.expects == "binary_probabilities":
        return (
            f"Put a sigmoid on the head (Dense({units}, sigmoid) + binary cross-entropy), or keep "
            "it linear and use BCE-with-logits (optbench loss 'bce_logits', "
            "nn.BCEWithLogitsLoss)."
        )
    return (
        "Put a softmax on the head (one unit per class), or keep it linear and use "
        "cross-entropy on logits (optbench 'cross_entropy', nn.CrossEntropyLoss)."
    )


def _log_probability_range(out: OutputProfile, kind: LossKind) -> Finding:
    detail = {
        "softmax": "the head outputs probabilities, so the loss is -p_y instead of -log p_y",
        "sigmoid": "the head outputs probabilities, not log-probabilities",
        "linear": "raw logits make -z_y unbounded below: the loss can fall forever",
    }.get(out.activation, f"the {out.activation} head does not output log-probabilities")
    return _finding(
        "head.range_mismatch",
        f"{kind.name} expects log-probabilities (log_softmax), but {detail}.",
        "End the model with log_softmax(dim=1), or use nn.CrossEntropyLoss on a linear head.",
    )


def _double_activation(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    inside = {"logits": "a softmax", "binary_logits": "a sigmoid"}.get(kind.expects)
    if inside is None or out.activation not in ("softmax", "sigmoid"):
        return []
    if out.units == 1 and out.activation == "softmax":
        return []  # the single-unit softmax finding says more
    fix = "Remove the head's activation (a linear head: the loss applies it), or keep the " + (
        "softmax and use NLLLoss on its log, or Keras-style categorical cross-entropy "
        "(optbench 'categorical_crossentropy')."
        if kind.expects == "logits"
        else "sigmoid and use nn.BCELoss (optbench 'bce')."
    )
    if kind.task == "language_model":
        fix = "Return the logits (a linear head): the language model's loss applies the softmax."
    return [
        _finding(
            "head.double_activation",
            f"The head ends in a {out.activation} (outputs in [{out.low:.3g}, {out.high:.3g}]) "
            f"and {kind.name} applies {inside} again: it treats those probabilities as logits. "
            "The loss can no longer approach 0, gradients shrink, and the numbers it reports "
            "are not the cross-entropy of the model's predictions.",
            fix,
        )
    ]


def _redundant_log_softmax(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if kind.expects != "logits" or out.activation != "log_softmax":
        return []
    return [
        _finding(
            "head.redundant_log_softmax",
            f"The head ends in log_softmax (outputs in [{sig(out.low)}, {sig(out.high)}], rows "
            f"of exp summing to 1) and {kind.name} applies log_softmax again. log_softmax is "
            "idempotent, so the loss and its gradients are exactly those of a linear head: "
            "nothing is wrong, the extra log_softmax is only redundant.",
            "Drop the head's log_softmax (a linear head), or keep it and use NLLLoss "
            "(nn.NLLLoss, F.nll_loss), which expects log-probabilities.",
        )
    ]


def _units_mismatch(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if _has(found, "head.single_unit_softmax") or kind.expects in ("regression", "unknown"):
        return []
    units, classes = out.units, labels.classes
    by_class = kind.expects in ("logits", "probabilities", "log_probabilities")
    by_class = by_class or _is_multi_margin(kind)
    if by_class and units == 1:
        message = (
            f"{kind.name} normalises over the output units with a softmax, and this head has "
            "1 unit: softmax over one unit is 1, so the loss is always 0 and nothing is "
            f"learned (and label 1 of {classes} classes has no unit)."
        )
    elif by_class and units < classes:
        message = (
            f"The head has {units} output units but the labels have {classes} classes: "
            f"classes {units}..{classes - 1} have no unit."
        )
    elif not by_class and units not in (1, classes) and units < classes:
        message = (
            f"The head has {units} units for {classes} classes: a binary loss needs 1 unit "
            f"(two classes) or one unit per class ({classes})."
        )
    elif not by_class and units == 1 and classes > 2:
        message = f"1 output unit can only separate two classes, but the labels have {classes}."
    else:
        return _extra_units(out, kind, labels)
    return [_finding("head.units_mismatch", message)]


def _extra_units(out: OutputProfile, kind: LossKind, labels: Labels) -> list[Finding]:
    if not labels.given or out.units <= labels.classes or out.units == 1:
        return []
    return [
        replace(
            _finding(
                "head.units_mismatch",
                f"The head has {out.units} units for {labels.classes} classes: units "
                f"{labels.classes}..{out.units - 1} are never a target. It trains, but they "
                "waste capacity and take probability mass.",
                f"Use {labels.classes} output units.",
            ),
            severity="warning",
        )
    ]


def _labels(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if kind.encoded and kind.task == "regression":
        return []  # real targets, checked against the outputs' shape when the data loads
    if kind.encoded:
        return _optbench_labels(kind, labels)
    if kind.expects in ("logits", "log_probabilities") or _is_multi_margin(kind):
        return _index_labels(out, kind, labels)
    if kind.expects in ("binary_probabilities", "binary_logits", "regression"):
        return _same_shape_labels(out, kind, labels)
    return []


def _is_multi_margin(kind: LossKind) -> bool:
    return isinstance(kind.fn, nn.MultiMarginLoss) or kind.fn is F.multi_margin_loss


def _optbench_labels(kind: LossKind, labels: Labels) -> list[Finding]:
    t = labels.tensor
    if not labels.is_index:
        return [
            _finding(
                "labels.encoding",
                f"optbench's '{kind.name}' loss takes class-index labels (int64 of shape [B]) and "
                f"encodes them itself; these labels are {t.dtype} of shape {list(t.shape)}.",
                "Pass class indices 0..C-1 (e.g. one_hot.argmax(1)); the loss builds the "
                "column or one-hot targets from the output's width.",
            )
        ]
    return _index_range(labels)


def _index_range(labels: Labels) -> list[Finding]:
    t = labels.tensor
    if not t.numel():
        return []
    low, high = int(t.min()), int(t.max())
    if low >= 0 and high < labels.classes:
        return []
    return [
        _finding(
            "labels.out_of_range",
            f"Class indices span {low}..{high}, but there are {labels.classes} classes "
            f"(valid: 0..{labels.classes - 1}).",
        )
    ]


def _index_labels(out: OutputProfile, kind: LossKind, labels: Labels) -> list[Finding]:
    t = labels.tensor
    if labels.is_index:
        return _index_range(labels)
    probabilities = t.is_floating_point() and t.dim() == 2 and t.shape[1] == out.units
    if kind.expects == "logits" and probabilities and float(t.min()) >= 0:
        return []  # class probabilities per unit: CrossEntropyLoss accepts them
    hint = "labels.argmax(1)" if t.dim() == 2 else "labels.long()"
    return [
        _finding(
            "labels.encoding",
            f"{kind.name} wants class indices (int64 of shape [B]); these labels are {t.dtype} "
            f"of shape {list(t.shape)}."
            + (
                " A float column is read as class probabilities, not as an index."
                if t.is_floating_point()
                else ""
            ),
            f"Pass class indices: {hint}.",
        )
    ]


def _same_shape_labels(out: OutputProfile, kind: LossKind, labels: Labels) -> list[Finding]:
    t = labels.tensor
    want = list(out.shape)
    shape = list(t.shape)
    problems = []
    if shape != want:
        problems.append(f"shape {shape} instead of the output's {want}")
    if not t.is_floating_point():
        problems.append(f"dtype {t.dtype} instead of a float")
    if not problems:
        return _binary_range(kind, labels)
    return [
        _finding(
            "labels.encoding",
            f"{kind.name} compares targets with the output element by element, so they must "
            f"be float and shaped like it; these labels have {' and '.join(problems)}."
            + (
                " MSELoss would silently broadcast them to a [B, B] matrix."
                if kind.expects == "regression" and t.dim() == 1 and out.units == 1
                else ""
            ),
            _same_shape_fix(out.units),
        )
    ]


def _same_shape_fix(units: int) -> str:
    if units == 1:
        return "Use labels.float().unsqueeze(1) (a [B, 1] column of 0/1)."
    return f"Use F.one_hot(labels, {units}).float() (one-hot rows [B, {units}])."


def _binary_range(kind: LossKind, labels: Labels) -> list[Finding]:
    if kind.expects == "regression":
        return []
    t = labels.tensor
    if not t.numel() or (float(t.min()) >= 0 and float(t.max()) <= 1):
        return []
    return [
        _finding(
            "labels.out_of_range",
            f"{kind.name} targets must lie in [0, 1]; these span [{float(t.min()):.4g}, "
            f"{float(t.max()):.4g}].",
            "Use 0/1 targets (one-hot rows for several units).",
        )
    ]


def _regression_on_classes(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if kind.task == "regression":
        return []  # a regression loss on a regression task: nothing traded off
    if kind.expects == "regression":
        saturating = out.activation in ("sigmoid", "softmax", "tanh")
        detail = (
            f"with a {out.activation} head the gradient 2(p - t)·p(1 - p) vanishes when an "
            "output saturates on the wrong side, so confident mistakes are corrected slowly"
            if saturating
            else "it treats the class targets as numbers to fit; the outputs are not probabilities"
        )
        return [
            _finding(
                "loss.regression_on_classes",
                f"{kind.name} on class labels trains a classifier, with a trade-off: {detail}. "
                "The loss is bounded and robust to outliers, but cross-entropy usually trains "
                "faster and gives calibrated probabilities.",
                "Prefer sigmoid + binary cross-entropy or softmax + cross-entropy, unless you "
                "want MSE's bounded loss.",
            )
        ]
    if kind.expects == "margin":
        return [
            _finding(
                "loss.regression_on_classes",
                f"{kind.name} is a margin (SVM-style) loss: it stops pushing an example once it "
                "is beyond the margin, which makes it robust to outliers, but the outputs are "
                "scores, not probabilities (no confidence), and cross-entropy usually trains "
                "faster.",
                "Fine if you want a max-margin classifier; use cross-entropy for probabilities.",
            )
        ]
    return []


def _two_unit_sigmoid(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if out.units != 2 or out.activation != "sigmoid" or kind.expects != "binary_probabilities":
        return []
    return [
        _finding(
            "head.two_unit_sigmoid_bce",
            f"2 sigmoid units with {kind.name}: each unit is an independent yes/no classifier of "
            "its class (one-hot targets), so the outputs need not sum to 1 (this batch's row "
            f"sums span {float(out.values.sum(1).min()):.3f}..{float(out.values.sum(1).max()):.3f})"
            ". It learns (the seed's best head), but it is a multi-label head for a "
            "single-label task; the prediction is the larger unit.",
        )
    ]


def _unknown_loss(
    out: OutputProfile, kind: LossKind, labels: Labels, found: list[Finding]
) -> list[Finding]:
    if kind.expects != "unknown":
        return []
    return [
        _finding(
            "loss.unknown",
            f"The checker does not know the loss {kind.name}: it checked the output "
            f"({out.units} unit(s), {out.activation}, range [{out.low:.3g}, {out.high:.3g}]) "
            "and whether the loss runs on this batch, not whether they fit each other.",
        )
    ]


RULES: tuple[Rule, ...] = (
    _single_unit_softmax,
    _constant_output,
    _range_mismatch,
    _double_activation,
    _redundant_log_softmax,
    _units_mismatch,
    _labels,
    _regression_on_classes,
    _two_unit_sigmoid,
    _unknown_loss,
)


def _loss_runs(out: OutputProfile, kind: LossKind, labels: Labels) -> list[Finding]:
    """Compute the loss on this batch: an exception, a broadcasting warning or a non-finite
    value is a finding (the safety net behind the rules above)."""
    outputs = out.as_model_output()
    if kind.fn is None or outputs is None:
        return []
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        warnings.simplefilter("always")
        try:
            value = kind.fn(outputs, _targets(kind, labels.tensor, outputs))
        except Exception as exc:  # any failure of a user's loss is what we report
            return [_loss_failed(kind, f"{type(exc).__name__}: {exc}")]
    broadcast = [w for w in caught if "target size" in str(w.message).lower()]
    if broadcast or not isinstance(value, torch.Tensor):
        what = str(broadcast[0].message) if broadcast else f"it returned {type(value).__name__}"
        return [_loss_failed(kind, what)]
    return []  # a NaN loss (NaN inputs) is the runtime monitors' business


def _targets(kind: LossKind, labels: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """What the loss receives: an optbench loss encodes the labels; a torch loss takes them."""
    return kind.encode(labels, outputs) if kind.encoded and kind.encode else labels


def _loss_failed(kind: LossKind, what: str) -> Finding:
    return _finding(
        "labels.encoding",
        f"{kind.name} cannot be computed on this batch's outputs and labels: {what}.",
        "Encode the labels as the loss expects (class indices for CrossEntropyLoss; float "
        "targets shaped like the output for BCE/MSE).",
    )


# -- language models: does a position see the future? -------------------------------------

# Outputs at earlier positions count as changed beyond this share of their largest magnitude:
# a causal model computes them from identical inputs (the suite's causal transformers, 1 and
# 2 layers, convolutional and GRU models: exactly equal on CPU; a GPU kernel may round
# differently, hence a tolerance); a transformer without its mask moves them by 0.10-0.18.
CAUSAL_TOLERANCE = 1e-4


def check_causal(model: nn.Module, tokens: torch.Tensor, vocab: int | None) -> list[Finding]:
    """model.sees_future when a language model's output at some position changes with a later
    input token: two dry forwards, the second with every token from the middle of the
    sequence on replaced; the outputs before the middle must not move."""
    if tokens.dim() != 2 or tokens.shape[1] < 2 or tokens.is_floating_point():
        return []
    cut = tokens.shape[1] // 2
    changed = tokens.clone()
    changed[:, cut:] = (changed[:, cut:] + 1) % max(vocab or int(tokens.max()) + 1, 2)
    with _dry_run(model), torch.no_grad():
        before = _first_tensor(model(tokens)).float()
        after = _first_tensor(model(changed)).float()
    if before.dim() < 2 or before.shape[:2] != tokens.shape:
        return []  # not one output per position: nothing to compare
    early = (before[:, :cut] - after[:, :cut]).abs().flatten(2).amax(-1).amax(0)  # [cut]
    scale = float(before.abs().max()) or 1.0
    moved = torch.nonzero(early > CAUSAL_TOLERANCE * scale).flatten()
    if not len(moved):
        return []
    return [
        _finding(
            "model.sees_future",
            f"Changing the input tokens from position {cut} on changed the model's outputs at "
            f"{len(moved)} of the {cut} earlier positions (from position {int(moved[0])}; by "
            f"up to {sig(float(early.max()))}, outputs up to {sig(scale)}): each position sees "
            "tokens after it. The input at position t + 1 is the target at position t, so the "
            "model can copy its answers; its low training loss says nothing about predicting "
            "text it has not seen.",
        )
    ]


# -- running it before trials ---------------------------------------------------------------


class SetupCheck(Callback):
    """Runs `check_setup` on the trial's probe batch before its first step (engine callback).

    Findings carry epoch 0 ("at initialisation"). The trial is stopped by an error finding
    whose code the stop policy names (`stop_on`, as in the study); otherwise it trains, so the
    study shows what the broken head does. One exception: when the engine could not even
    compute the first loss (`first_loss` is NaN) and the checker found an error, the trial
    would crash at its first step, so it is stopped with that code instead, keeping the
    explanation.
    """

    def __init__(self, stop_on: Iterable[str] = ()) -> None:
        self.stop_on = resolve_stop_on(stop_on)

    def on_trial_start(self, ctx: TrialContext, first_loss: float) -> list[Finding]:
        x, y = ctx.probe
        findings = check_setup(
            ctx.model, ctx.spec.loss, x, y, num_classes=ctx.num_classes, task=ctx.spec.task
        )
        for found in findings:
            found.trial_id, found.epoch = ctx.spec.id, 0
        errors = [f.code for f in findings if f.severity == "error"]
        named = [code for code in errors if code in self.stop_on]
        cannot_run = errors if not math.isfinite(first_loss) else []
        stop = (named or cannot_run or [None])[0]
        if stop is not None and ctx.stop_reason is None:
            ctx.stop_reason = stop
        return findings


def check_trial(spec: TrialSpec, data: Dataset) -> list[Finding]:
    """`check_setup` for a trial as the engine will start it (same model, as many outputs as
    the task needs, same first batch), and the untrained model's loss on that batch against
    the task's levels."""
    model = build_model(spec.model, data.input_shape, data.num_outputs, seed=spec.seed)
    first = next(BatchOrder(len(data.train.y), spec.batch_size, spec.seed).epoch())
    x, y = data.train.x[first], data.train.y[first]
    findings = check_setup(model, spec.loss, x, y, num_classes=data.num_classes, task=spec.task)
    if not any(f.severity == "error" for f in findings):
        findings += _initial_loss(model, spec, x, y, data.num_classes)
    for found in findings:
        found.trial_id, found.epoch = spec.id, 0
    return findings


def _initial_loss(
    model: nn.Module, spec: TrialSpec, x: torch.Tensor, y: torch.Tensor, num_classes: int
) -> list[Finding]:
    """init.loss_too_high/too_low on the first batch, as the monitor judges it in training."""
    info = TASKS.get(spec.task).loss_info(spec.loss)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):  # as the engine measures it
        outputs = model(x)
        value = float(info.loss(outputs, info.encode(y, outputs)))
    chance, initial = chance_from_batch(spec.task, y, num_classes, info.loss)
    task = task_for(spec.loss, num_classes, spec.task, chance_loss=chance, initial_loss=initial)
    judged = judge_initial_loss(value, spec.loss, task, x, y)
    return [] if judged is None else [_finding(*judged)]


def check_study(study: StudySpec, data: Dataset) -> dict[str, list[Finding]]:
    """Head label → findings, once per distinct (model, loss) of the study (its first seed)."""
    results: dict[str, list[Finding]] = {}
    seen: set[tuple[object, str]] = set()
    trials = expand(study)
    check_models_fit((t.model for t in trials), data, study.device)  # before building any
    for trial in trials:
        if (trial.model, trial.loss) in seen:
            continue
        seen.add((trial.model, trial.loss))
        results[head_label(trial)] = check_trial(trial, data)
    return results


def head_label(trial: TrialSpec) -> str:
    """`2×sigmoid + bce`: the head of a trial, as HeadSpec.label writes it; a model built by
    your factory is named by its reference."""
    if trial.model.factory is not None:
        return f"{describe_model(trial.model)} + {portable_reference(trial.loss)}"
    units = "C" if trial.model.head_units is None else str(trial.model.head_units)
    return f"{units}×{trial.model.head_activation} + {trial.loss}"
