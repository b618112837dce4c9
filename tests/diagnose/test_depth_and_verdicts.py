"""Vanishing gradients read from how gradient norms change across depth; verdicts that wait
for a trend and are revised when the run recovers (issue 19).

Both on real runs on scikit-learn's digits:
- four sigmoid layers with Keras (Glorot) initialisation under SGD: the gradient norm shrinks
  ~200x from the last layer to the first and the loss sits at chance. On main no gradient
  finding appeared, only the symptoms.
- four sigmoid layers with PyTorch's initialisation under Adam: the loss sits at chance for
  four epochs, then the run learns. On main it was called "at chance" after 2 epochs.
"""

from __future__ import annotations

import re

from curves import LN10, context, feed
from diagnose_suite import Setup, run_setup

from optbench.core.specs import EpochRecord, ModelSpec

DEEP_SIGMOID = Setup(
    "deep-sigmoid-glorot-sgd",
    "grad.vanishing",
    model=ModelSpec(hidden=(64,) * 4, activation="sigmoid", init="keras"),
    optimizer="sgd:lr=0.1",
    epochs=4,
)
SLOW_START = Setup(
    "deep-sigmoid-adam-slow-start",
    None,
    model=ModelSpec(hidden=(64,) * 4, activation="sigmoid"),
    optimizer="adam",
    epochs=10,
)


def test_gradients_shrinking_across_depth_are_vanishing(suite_data) -> None:
    outcome = run_setup(DEEP_SIGMOID, suite_data)
    (found,) = [f for f in outcome.findings if f.code == "grad.vanishing"]
    assert found.epoch == 1
    layers = re.findall(r"net\.\d+\.weight", found.message)
    assert len(set(layers)) >= 2, found.message  # the first and the last layer, by name
    from optbench.diagnose import group_findings

    groups = group_findings([f for f in outcome.findings if f.trial_id is not None])
    assert groups[0].root.code == "grad.vanishing"
    symptoms = {f.code for g in groups[1:] for f in [g.root]}
    assert "train.acc_at_chance" not in symptoms  # the symptom sits under its cause


def test_a_slow_start_is_not_called_at_chance_after_two_epochs(suite_data) -> None:
    outcome = run_setup(SLOW_START, suite_data)
    accs = [r.val_acc for r in outcome.records]
    assert max(accs[:3]) < 0.15 and accs[-1] > 0.3  # a real slow start that goes on to learn
    early = [f for f in outcome.findings if f.code == "train.acc_at_chance" and f.epoch <= 3]
    assert early == []
    from optbench.diagnose import group_findings, task_for

    task = task_for("cross_entropy", 10)
    groups = group_findings(outcome.findings, outcome.records, task)
    active = [g for g in groups if g.revised is None]
    assert [g.root.code for g in active if g.root.severity != "info"] == []


def test_a_verdict_is_revised_when_the_run_recovers() -> None:
    # At chance with a stalled loss for four epochs, then it learns.
    train = [2.32, 2.31, 2.312, 2.311, 2.309, 1.9, 1.2, 0.8]
    acc = [0.1, 0.1, 0.11, 0.1, 0.1, 0.4, 0.7, 0.8]
    findings = feed(train, acc, train, acc, first=LN10)
    stuck = [f for f in findings if f.code == "train.acc_at_chance"]
    assert stuck and stuck[0].epoch >= 3  # waited for three epochs of evidence
    from optbench.diagnose import group_findings, task_for

    records = _records(context().spec.id, train, acc)
    groups = group_findings(findings, records, task_for("cross_entropy", 10))
    revised = [
        g for g in groups if "train.acc_at_chance" in {g.root.code, *(f.code for f in g.follows)}
    ]
    assert revised and all(g.revised for g in revised)
    assert "epoch 6" in revised[0].revised and "40%" in revised[0].revised


def _records(trial_id: str, train: list[float], acc: list[float]) -> list[EpochRecord]:
    return [
        EpochRecord(trial_id, i, t, a, t, a, 1.0, 0.01, 1.0)
        for i, (t, a) in enumerate(zip(train, acc, strict=True), start=1)
    ]
