"""Which figures a report has, their file names, and drawing them from the analysis.

Names are planned before anything is drawn so the document can refer to them; a study with one
dataset keeps the short names (`curves-all.png`, `curves-adam.png`, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from optbench.plots import (
    LrSeries,
    Strip,
    StripPanel,
    colors_for,
    figure_names,
    plot_group,
    plot_lr_sensitivity,
    plot_overlay,
    plot_performance_profile,
    plot_strips,
)
from optbench.report.analysis import Analysis, LrFamily, WorkloadAnalysis
from optbench.report.fanout import FigureJob, draw_on_two_cores
from optbench.report.head_hook import HEADS_FIGURE, draw_head_figure, plans_head_figure
from optbench.report.view import StudyView, TrialView

LR_FILES = {"held-out": "lr-search.png", "test": "lr-sensitivity.png"}
LR_YLABEL = {"held-out": "held-out", "test": "test"}


@dataclass
class WorkloadFigures:
    curves: str
    strips: str
    groups: dict[str, str] = field(default_factory=dict)  # group → curves file
    lr: dict[str, str] = field(default_factory=dict)  # split (test, held-out) → file


@dataclass
class FigureSet:
    workloads: dict[str, WorkloadFigures]
    profile: str | None = None
    heads: str | None = None  # the head study's own figure (optbench.report.heads)


def plan_figures(view: StudyView, analysis: Analysis) -> FigureSet:
    prefix = (lambda w: f"{_slug(w)}-") if analysis.multi else (lambda w: "")
    figures = {}
    for w in analysis.workloads:
        runs = _runs(view, w.workload)
        p = prefix(w.workload)
        figures[w.workload] = WorkloadFigures(
            curves=f"{p}curves-all.png",
            strips=f"{p}final-metrics.png",
            groups={g: p + name for g, name in figure_names(list(runs)).items()},
            lr={s: f"{p}{LR_FILES[s]}" for s in dict.fromkeys(f.split for f in w.lr_families)},
        )
    profile = "performance-profile.png" if analysis.profile else None
    heads = HEADS_FIGURE if plans_head_figure(view) else None
    return FigureSet(figures, profile, heads)


def draw_figures(
    view: StudyView, analysis: Analysis, figures: FigureSet, folder: Path
) -> list[Path]:
    """Draw every planned figure into `folder`; returns the written paths."""
    drawn = draw_on_two_cores(figure_jobs(view, analysis, figures, folder))
    return [path for path in drawn if path is not None]


def figure_jobs(
    view: StudyView, analysis: Analysis, figures: FigureSet, folder: Path
) -> list[FigureJob]:
    """One job per planned figure."""
    colors = colors_for(analysis.group_order)
    jobs: list[FigureJob] = []
    for w in analysis.workloads:
        planned, title = figures.workloads[w.workload], f"{view.name}: {w.workload}"
        runs = _runs(view, w.workload)
        panels = (("loss", "Loss"), (w.task.primary.name, w.task.primary.title.capitalize()))
        if runs:
            curves, strips = folder / planned.curves, folder / planned.strips
            overlay = partial(plot_overlay, runs, curves, title, colors, w.target, panels)
            jobs.append(overlay)
            jobs.append(partial(plot_strips, _strip_panels(w), colors, strips, title))
        for group, seed_rows in runs.items():
            path = folder / planned.groups[group]
            one = partial(plot_group, group, seed_rows, colors[group], path, title, panels)
            jobs.append(one)
        for split, name in planned.lr.items():
            series = [_lr_series(f, colors) for f in w.lr_families if f.split == split]
            percent = w.task.primary.percent
            ylabel = f"Final {LR_YLABEL[split]} {w.task.primary.title}" + (" (%)" * percent)
            scale = 100.0 if percent else 1.0
            sensitivity = partial(plot_lr_sensitivity, series, folder / name, title, ylabel, scale)
            jobs.append(sensitivity)
    if figures.heads:
        jobs.append(partial(draw_head_figure, view, folder / figures.heads))
    if figures.profile and analysis.profile:
        profile = partial(
            plot_performance_profile,
            analysis.profile,
            analysis.profile_taus,
            colors,
            folder / figures.profile,
            f"{view.name}: performance profile",
        )
        jobs.append(profile)
    return jobs


def _runs(view: StudyView, workload: str) -> dict[str, list[list[dict[str, float]]]]:
    """Per group, each seed's epoch rows: its finished trials, or (none finished yet) every
    trial with an epoch. A failed seed must not cut the others' curves short."""
    trials: dict[str, list[TrialView]] = {}
    for t in view.trials:
        if t.workload == workload and t.epochs and not t.search:
            trials.setdefault(t.group, []).append(t)
    runs = {}
    for group, ts in trials.items():
        done = [t for t in ts if t.done]
        runs[group] = [t.epochs for t in done or ts]
    return runs


def _strip_panels(w: WorkloadAnalysis) -> list[StripPanel]:
    panels = []
    primary = w.task.primary
    percent = primary.percent
    for metric, title, ylabel, scale in (
        (
            w.score,
            f"Final test {primary.title}",
            primary.title.capitalize() + (" (%)" if percent else ""),
            100.0 if percent else 1.0,
        ),
        ("val/loss", "Final test loss", "Loss", 1.0),
    ):
        strips = [
            Strip(g.group, g.per_seed[metric], i.mean, i.low, i.high)
            for g in w.groups
            if metric in g.per_seed
            for i in (g.interval(metric),)
        ]
        panels.append(StripPanel(title, ylabel, strips, scale))
    return panels


def _lr_series(family: LrFamily, colors: dict[str, str]) -> LrSeries:
    points = family.points
    return LrSeries(
        label=family.label,
        color=colors[family.color_group],
        lrs=[p.lr for p in points],
        values=[p.values for p in points],
        means=[p.interval.mean for p in points],
        lows=[p.interval.low for p in points],
        highs=[p.interval.high for p in points],
    )


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("_") or "data"
