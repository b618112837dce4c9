"""Root causes: which finding explains which, so a user reads what to change first.

A broken run raises several findings at once, and most follow from one of them: a run that
diverged at lr = 10 kills its ReLUs, after which gradients vanish, updates are tiny and the
loss is frozen. Read one by one, those say "raise the learning rate" next to "lower it".
`EXPLAINS` is the causal graph between codes (a cause → the codes it explains);
`group_findings` puts each finding under the finding that explains it, so every group
starts with its root cause and carries that cause's fix.

Two rules keep the advice consistent: the graph has no cycles (tests/diagnose), and every
code whose fix lowers the learning rate explains every code whose fix raises it — after a
blow-up, small updates are a consequence, not a learning rate that is too low. So the roots
of a trial never disagree on the learning rate.

With a trial's epochs, groups whose root is a "the run is stuck" verdict are *revised* when
the run recovered afterwards (the metric left chance and the loss fell well below where the
verdict was given): a slow start is not a dead run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.numbers import pct, sig
from optbench.diagnose.task import Task

# Symptoms of a run that learns nothing: what every cause upstream of them explains.
_STUCK = ("train.loss_frozen", "train.not_decreasing", "train.acc_at_chance", "train.at_chance")
# ... and of no gradient reaching the weights.
_STILL = ("grad.vanishing", "opt.update_ratio_low", *_STUCK)
# A head, loss or labels that cannot work: every training symptom, a loss that cannot even be
# computed (NaN) and the huge gradients of clipped probabilities included.
_HEAD_OR_LABELS = (
    *_STILL,
    "act.saturated",
    "init.loss_too_high",
    "init.loss_too_low",
    "grad.exploding",
    "train.nan_loss",
)
# An output that does not depend on the input: the symptom of a signal lost on the way up
# (constant inputs, dead or saturated units, a deep saturating stack), or a broken head.
_CONSTANT = ("opt.update_ratio_low", *_STUCK, "init.loss_too_high", "init.loss_too_low")
# A learning rate far too high (or its equivalent): everything downstream of a blow-up.
_BLOW_UP = (
    "train.nan_loss",
    "train.nonfinite_grad",
    "act.dying_relu",
    "act.saturated",
    "opt.update_ratio_high",
    "train.oscillating",
    *_STILL,
)

# cause → the codes it explains. Listed roughly from the most upstream cause (data, setup)
# to the symptoms; GROUP_ORDER below is this order.
EXPLAINS: dict[str, tuple[str, ...]] = {
    "data.nonfinite_inputs": ("train.nan_loss", "train.nonfinite_grad", "data.unscaled_inputs"),
    "data.constant_inputs": (
        *_STILL,
        "act.dying_relu",
        "act.saturated",
        "data.labels_unrelated",
        "head.constant_output",
    ),
    # Nothing to learn: the network collapses towards the label frequencies, its units die or
    # saturate on the way, and what it does learn is memorised.
    "data.labels_unrelated": (
        *_STILL,
        "act.dying_relu",
        "act.saturated",
        "head.constant_output",
        "val.overfitting",
    ),
    "fairness.reused_model": ("init.loss_too_low",),
    "head.single_unit_softmax": _HEAD_OR_LABELS,
    "head.constant_output": _CONSTANT,
    "head.range_mismatch": (*_HEAD_OR_LABELS, "train.diverged"),
    "head.units_mismatch": _HEAD_OR_LABELS,
    "head.double_activation": _HEAD_OR_LABELS,
    "labels.out_of_range": _HEAD_OR_LABELS,
    "labels.encoding": _HEAD_OR_LABELS,
    "data.unscaled_inputs": (
        "init.loss_too_high",
        "grad.exploding",
        "train.diverged",
        *_BLOW_UP,
    ),
    # Targets of hundreds: losses and gradients of their square, a blow-up under SGD, and
    # under adaptive optimizers an output bias that crawls towards the mean (a stalled loss).
    "data.unscaled_targets": (
        "init.loss_too_high",
        "grad.exploding",
        "train.diverged",
        *_BLOW_UP,
    ),
    "grad.exploding": ("train.diverged", "init.loss_too_high", *_BLOW_UP),
    "train.diverged": _BLOW_UP,
    "train.nonfinite_grad": ("train.nan_loss",),
    "train.nan_loss": ("opt.update_ratio_low", "train.loss_frozen"),
    "act.dying_relu": (*_STILL, "head.constant_output"),
    "act.saturated": (*_STILL, "init.loss_too_high", "head.constant_output"),
    "grad.vanishing": ("opt.update_ratio_low", *_STUCK, "head.constant_output"),
    "opt.update_ratio_high": ("opt.update_ratio_low", "train.oscillating", *_STUCK),
    "train.oscillating": ("opt.update_ratio_low", "train.loss_frozen", "train.not_decreasing"),
    "opt.update_ratio_low": _STUCK,
    "train.loss_frozen": ("train.not_decreasing", "train.acc_at_chance", "train.at_chance"),
    "train.acc_at_chance": ("train.not_decreasing",),
    "train.at_chance": ("train.not_decreasing",),
}
GROUP_ORDER = {code: i for i, code in enumerate(EXPLAINS)}
# Verdicts that say "the run is stuck": a recovery later in the run withdraws them.
REVISABLE = frozenset(
    {
        *_STILL,
        "act.dying_relu",
        "act.saturated",
        "opt.update_ratio_high",
        "head.constant_output",  # an untrained deep stack's output; training may revive it
    }
)
# Recovered: the validation metric left chance and the training loss fell this far below
# its value when the verdict was given (10%: a stuck run's epoch means move by < 1%).
RECOVERY_DROP = 0.10
_SEVERITY = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Diagnosis:
    """One root cause and the findings that follow from it; `revised` says why the group no
    longer holds (the run recovered), or is None."""

    root: Finding
    follows: list[Finding] = field(default_factory=list)
    revised: str | None = None

    @property
    def findings(self) -> list[Finding]:
        return [self.root, *self.follows]

    @property
    def severity(self) -> str:
        return min((f.severity for f in self.findings), key=lambda s: _SEVERITY.get(s, 3))


def explains(cause: str, code: str) -> bool:
    """`cause` explains `code` in the causal graph."""
    return code in EXPLAINS.get(cause, ())


def cause_of(finding: Finding, others: Sequence[Finding]) -> Finding | None:
    """The finding among `others` that explains `finding` directly (the most upstream one)."""
    candidates = [o for o in others if o is not finding and explains(o.code, finding.code)]
    return min(candidates, key=lambda o: GROUP_ORDER[o.code], default=None)


def group_findings(
    findings: Sequence[Finding],
    epochs: Sequence[EpochRecord | Mapping[str, float]] = (),
    task: Task | None = None,
) -> list[Diagnosis]:
    """One trial's findings (and the study's, which have no trial) grouped by root cause.

    Groups come most severe first, then earliest. With the trial's `epochs` and `task`, a
    group rooted in a revisable verdict is revised when the run recovered afterwards; revised
    groups come last.
    """
    groups: dict[int, Diagnosis] = {}
    for f in findings:
        root = root_cause(f, findings)
        if id(root) not in groups:
            groups[id(root)] = Diagnosis(root)
        if root is not f:
            groups[id(root)].follows.append(f)
    result = list(groups.values())
    if epochs and task is not None:
        for group in result:
            group.revised = revision(group, epochs, task)
    order = {id(f): i for i, f in enumerate(findings)}
    return sorted(result, key=lambda g: _rank(g, order))


def root_cause(finding: Finding, findings: Sequence[Finding]) -> Finding:
    """The finding at the top of `finding`'s chain of causes among `findings` (itself if
    nothing explains it)."""
    seen = {id(finding)}
    while (cause := cause_of(finding, findings)) is not None and id(cause) not in seen:
        seen.add(id(cause))
        finding = cause
    return finding


def _rank(group: Diagnosis, order: Mapping[int, int]) -> tuple[int, int, int, int]:
    epoch = -1 if group.root.epoch is None else group.root.epoch
    severity = _SEVERITY.get(group.severity, 3)
    return (group.revised is not None, severity, epoch, order[id(group.root)])


def revision(
    group: Diagnosis, epochs: Sequence[EpochRecord | Mapping[str, float]], task: Task
) -> str | None:
    """Why `group` no longer holds: the run recovered after its verdicts; None if it did not
    (or the group is not a revisable verdict)."""
    if group.root.code not in REVISABLE:
        return None
    since = max((f.epoch or 0) for f in group.findings if f.code in REVISABLE)
    rows = [_row(e, task) for e in epochs]
    at = next((r for r in rows if r["epoch"] == since), None)
    if at is None or not math.isfinite(at["train_loss"]):
        return None
    recovered = _recovered_from(rows, since, at["train_loss"], task)
    if recovered is None:
        return None
    return (
        f"the run recovered by epoch {recovered['epoch']:.0f}: validation {_name(task)} "
        f"{_metric(recovered['val'], task)} (chance {_metric(task.chance_metric, task)}), "
        f"training loss {sig(recovered['train_loss'])} ({sig(at['train_loss'])} at epoch "
        f"{since})."
    )


def _recovered_from(
    rows: list[dict[str, float]], since: int, loss_then: float, task: Task
) -> dict[str, float] | None:
    """The first epoch after `since` from which every epoch to the end is recovered."""
    first = None
    for row in rows:
        if row["epoch"] <= since:
            continue
        good = (
            not task.at_chance(row["val"]) and row["train_loss"] <= (1 - RECOVERY_DROP) * loss_then
        )
        first = (first or row) if good else None
    return first


def _row(epoch: EpochRecord | Mapping[str, float], task: Task) -> dict[str, float]:
    """Epoch number, training loss and the validation metric, from an EpochRecord or a stored
    epoch row (keyed by metric tag, as StudyView holds them)."""
    if isinstance(epoch, EpochRecord):
        number, loss = epoch.epoch, epoch.train_loss
    else:
        number, loss = epoch["epoch"], epoch["train/loss"]
    return {"epoch": number, "train_loss": loss, "val": task.metric_of(epoch, "val")}


def _name(task: Task) -> str:
    return {"accuracy": "accuracy", "r2": "R²", "loss": "loss"}[task.metric]


def _metric(value: float | None, task: Task) -> str:
    if value is None:
        return "?"
    return pct(value) if task.metric == "accuracy" else sig(value)
