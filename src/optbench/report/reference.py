"""Reference results beside the measured ones: the difference, and why they may differ.

A study file's `[reference]` (numbers from a paper or the homework, with their source and
conditions) is stored with the study; here each reported number meets the study's own mean
over seeds for the same group and metric, and every condition that differs (dataset, input
scaling, a reused model, seeds, epochs, batch size, profile) becomes a sentence. The
terminal (`optbench show`) and both reports render these rows and notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optbench.report.analysis import Analysis
from optbench.report.format import METRIC_NAMES
from optbench.report.view import StudyView


@dataclass(frozen=True)
class ReferenceRow:
    """One reported number next to this study's mean (NaN when the group has no result)."""

    group: str
    metric: str
    reference: float
    mean: float
    sd: float
    seeds: int

    @property
    def percent(self) -> bool:
        return self.metric.endswith("/acc")

    @property
    def difference(self) -> float:
        """This study minus the reference (accuracy in fractions, shown as pp)."""
        return self.mean - self.reference


@dataclass(frozen=True)
class Reference:
    """The reference of a study: where it comes from, its rows and the notes on it."""

    source: str
    url: str
    rows: tuple[ReferenceRow, ...]
    conditions: tuple[str, ...]  # one sentence per condition that differs
    notes: tuple[str, ...]  # the reference's own notes, `group: note`


def study_reference(view: StudyView, analysis: Analysis) -> Reference | None:
    """The study's reference beside its results; None for a study without one."""
    raw = view.config.get("reference")
    if not raw:
        return None
    rows = tuple(_rows(raw, analysis))
    notes = tuple(f"{r['group']}: {r['note']}" for r in raw["results"] if r.get("note"))
    return Reference(
        raw["source"], raw.get("url", ""), rows, tuple(condition_notes(raw, view)), notes
    )


def _rows(raw: dict[str, Any], analysis: Analysis) -> list[ReferenceRow]:
    stats = {g.group: g for w in analysis.workloads for g in w.groups}
    rows = []
    for result in raw["results"]:
        group = stats.get(result["group"])
        for tag in METRIC_NAMES:
            if tag not in result["metrics"]:
                continue
            interval = group.interval(tag) if group else None
            rows.append(
                ReferenceRow(
                    group=result["group"],
                    metric=tag,
                    reference=float(result["metrics"][tag]),
                    mean=interval.mean if interval else math.nan,
                    sd=interval.sd if interval else math.nan,
                    seeds=interval.n if interval else 0,
                )
            )
    return rows


def condition_notes(raw: dict[str, Any], view: StudyView) -> list[str]:
    """A sentence for each of the reference's conditions that differs from this study."""
    given, here = raw.get("conditions", {}), _study_conditions(view.config)
    notes = []
    for key, value in given.items():
        if key in here and here[key] != value:
            notes.append(_SAY.get(key, _plain)(key, value, here[key]))
    return notes


def _study_conditions(config: dict[str, Any]) -> dict[str, Any]:
    """The study's own values of the conditions a reference can state."""
    dataset = config.get("dataset", {})
    profiles = sorted({o.get("profile", "torch") for o in config.get("optimizers", [])})
    return {
        "dataset": dataset.get("name"),
        "scale": dataset.get("scale", True),
        "reuse_model": config.get("reuse_model", False),
        "seeds": len(config.get("seeds", [])),
        "epochs": config.get("epochs"),
        "batch_size": config.get("batch_size"),
        "profile": profiles[0] if len(profiles) == 1 else ", ".join(profiles),
    }


def _scale(_: str, reference: Any, here: Any) -> str:
    raw, scaled = "raw, unscaled inputs (0–255 pixels)", "inputs scaled to [0, 1]"
    return (
        f"Inputs: the reference trained on {raw if not reference else scaled}, this study on "
        f"{scaled if here else raw}. Unscaled pixels give large early losses and updates."
    )


def _reuse(_: str, reference: Any, here: Any) -> str:
    if reference:
        return (
            "Model: the reference kept training one model from optimizer to optimizer, so each "
            "later optimizer started from the previous one's trained weights (its first epoch "
            "is not a first epoch); here every optimizer starts from the same fresh weights."
        )
    return "Model: here each optimizer continues the previous one's model; the reference's not."


def _seeds(_: str, reference: Any, here: Any) -> str:
    return (
        f"Seeds: the reference reports {reference} run(s) per group, this study {here} "
        "(its mean is shown); one run cannot tell a difference from seed-to-seed noise."
    )


def _plain(key: str, reference: Any, here: Any) -> str:
    return (
        f"{key.replace('_', ' ').capitalize()}: the reference used {reference}, this study {here}."
    )


_SAY = {"scale": _scale, "reuse_model": _reuse, "seeds": _seeds}
