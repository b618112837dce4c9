"""The report's view of the findings: grouped under their root cause, revised by recoveries.

The store keeps every finding as it was raised, one row each. A reader needs them as
diagnose.group_findings arranges them: per trial, each root cause first with the findings
that follow from it, the study-wide findings (data, study design) counted as possible causes
of every trial's, and a "stuck" verdict revised when the trial's later epochs show that the
run recovered. Everything comes from the store, so `optbench report` redraws it unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optbench.core.specs import Finding
from optbench.diagnose import Diagnosis, group_findings, task_for
from optbench.diagnose.task import Task
from optbench.report.view import StudyView, TrialView


@dataclass
class TrialDiagnosis:
    """One trial's findings as a reader takes them in: its own root causes (with what follows
    from each, and their revision), and its findings that follow from a study-wide one."""

    groups: list[Diagnosis] = field(default_factory=list)
    # study-wide cause code → this trial's findings that follow from it
    from_study: dict[str, list[Finding]] = field(default_factory=dict)


def as_finding(row: Mapping[str, Any]) -> Finding:
    """A stored finding row (a dict) as the Finding it was."""
    return Finding(
        row["code"], row["severity"], row["message"], row["fix"], row["trial_id"], row["epoch"]
    )


def diagnose_trials(view: StudyView) -> dict[str, TrialDiagnosis]:
    """Trial id → its diagnosis, for every trial with findings (current or not)."""
    shared = [as_finding(r) for r in view.findings if r["trial_id"] is None]
    rows: dict[str, list[Finding]] = {}
    for r in view.findings:
        if r["trial_id"] is not None:
            rows.setdefault(r["trial_id"], []).append(as_finding(r))
    trials = {t.id: t for t in view.trials}
    return {
        trial_id: _diagnose(findings, shared, trials.get(trial_id), view)
        for trial_id, findings in rows.items()
    }


def _diagnose(
    findings: list[Finding], shared: list[Finding], trial: TrialView | None, view: StudyView
) -> TrialDiagnosis:
    task = _task(trial, view)
    epochs = trial.epochs if trial is not None else []
    result = TrialDiagnosis()
    for group in group_findings([*shared, *findings], epochs, task):
        mine = [f for f in group.findings if f.trial_id is not None]
        if group.root.trial_id is not None:
            result.groups.append(group)
        elif mine:
            result.from_study[group.root.code] = mine
    return result


def _task(trial: TrialView | None, view: StudyView) -> Task | None:
    """The trial's task from its loss, the study's task and the dataset's classes (None when
    unknown). Regression needs no classes; a language model's are its vocabulary."""
    if trial is None:
        return None
    kind = trial.task.name
    classes = int(view.dataset.get("num_classes") or 0)
    if kind != "regression" and not classes:
        return None
    return task_for(str(trial.spec.get("loss", "cross_entropy")), classes, kind)


def active_errors(diagnoses: Mapping[str, TrialDiagnosis]) -> dict[str, str]:
    """Code → message of each root-cause error not revised (first one per code): what the
    summary calls out. Errors that follow from another finding are left to their cause."""
    errors: dict[str, str] = {}
    for diagnosis in diagnoses.values():
        for group in diagnosis.groups:
            root = group.root
            if root.severity == "error" and group.revised is None:
                errors.setdefault(root.code, root.message)
    return errors
