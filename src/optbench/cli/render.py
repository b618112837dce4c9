"""Terminal rendering of stored studies (shared by `compare`, `run`, `show` and `ls`).

The numbers and verdicts come from `optbench.report`'s analysis, the same one the Markdown and
HTML reports render, so the terminal never tells a different story. Every table keeps its words
whole: where it does not fit the terminal it folds into one short block per row (`cli.fit`),
and `--wide` prints it at its natural width instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from optbench.cli.fit import new_table, print_table
from optbench.report import StudyListing, StudyView, WorkloadAnalysis, analyse
from optbench.report import format as fmt
from optbench.report.analysis import Analysis, GroupStats
from optbench.report.head_hook import head_verdicts
from optbench.report.reference import Reference, study_reference

STATUS_STYLE = {
    "finished": "green",
    "running": "cyan",
    "interrupted": "yellow",
    "failed": "red",
    "unreadable": "red",
    "empty": "dim",
}


def _pm(mean: float, sd: float, percent: bool = False, digits: int = 4) -> str:
    """Compact mean ± sd: `86.72 ± 2.09` (accuracy, in %) or `0.421 ± 0.056`."""
    if fmt.missing(mean):
        return fmt.DASH
    k, digits = (100.0, 2) if percent else (1.0, digits)
    text = f"{mean * k:.{digits}f}"
    return text if fmt.missing(sd) else f"{text} ± {sd * k:.{digits}f}"


def _span(low: float, high: float, k: float, digits: int) -> str:
    if fmt.missing(low) or fmt.missing(high):
        return fmt.DASH
    note = f" {fmt.UNINFORMATIVE}" if k == 100.0 and fmt.uninformative(low, high) else ""
    return f"{low * k:.{digits}f}–{high * k:.{digits}f}{note}"


def _title(view: StudyView, w: WorkloadAnalysis, multi: bool) -> str:
    where = f" on {w.workload}" if multi else ""
    return f"Study {view.name}{where}: final epoch, mean ± sd (validation = test split)"


def _cells(g: GroupStats, w: WorkloadAnalysis) -> tuple[str, str, str, str, str, str]:
    score, percent = w.score, w.task.primary.percent
    train_tag = "train/" + score.partition("/")[2]
    acc, loss, train = g.interval(score), g.interval("val/loss"), g.interval(train_tag)
    return (
        g.group,
        f"{g.finished}/{len(g.trials)}",
        _pm(acc.mean, acc.sd, percent, digits=2 if percent else 3),
        _span(acc.low, acc.high, 100.0 if percent else 1.0, 2 if percent else 3),
        _pm(loss.mean, loss.sd, digits=3),
        _pm(train.mean, train.sd, percent, digits=2 if percent else 3),
    )


def _score_names(w: WorkloadAnalysis) -> tuple[str, str]:
    """Column words for the workload's metric: ("Test acc %", "acc") or ("Test R²", "R²")."""
    primary = w.task.primary
    short = "acc" if primary.name == "acc" else primary.title
    return f"Test {short}" + (" %" if primary.percent else ""), short


def results_table(
    view: StudyView,
    w: WorkloadAnalysis,
    multi: bool = False,
    verdicts: dict[str, str] | None = None,
) -> Table:
    """One row per group; a head study names its first column `Head` and adds each verdict."""
    table = new_table(_title(view, w, multi))
    first = "Head" if verdicts else "Optimizer"
    test, short = _score_names(w)
    train = f"Train {short}" + (" %" if w.task.primary.percent else "")
    for col in (first, "Seeds", test, "95% CI", "Test loss", train):
        table.add_column(col, justify="right", no_wrap=True)
    table.columns[0].justify, table.columns[0].no_wrap = "left", False  # wraps at spaces only
    if verdicts:
        table.add_column("Verdict", no_wrap=True)  # short phrases; a long one folds the table
    for g in w.groups:
        group, *numbers = _cells(g, w)  # a user's label is text, never markup
        table.add_row(
            Text(group), *numbers, *([verdicts.get(g.group, fmt.DASH)] if verdicts else [])
        )
    return table


def results_blocks(
    view: StudyView, w: WorkloadAnalysis, multi: bool, verdicts: dict[str, str]
) -> list[RenderableType]:
    """The results table as one block per group, for a terminal too narrow for the table."""
    blocks: list[RenderableType] = []
    _, short = _score_names(w)
    unit = " %" if w.task.primary.percent else ""
    for g in w.groups:
        group, seeds, acc, ci, loss, train = _cells(g, w)
        verdict = f" — {verdicts[group]}" if group in verdicts else ""
        blocks.append(Text.assemble((group, "bold"), f"  {seeds} seeds{verdict}"))
        interval = "" if ci == fmt.DASH else f" (95% CI {ci})"
        text = f"test {short} {acc}{unit}{interval}, test loss {loss}, train {short} {train}{unit}"
        blocks.append(Padding(Text(text), (0, 0, 0, 2)))
    return blocks


# More pairs than this (six optimizers and up): the terminal shows the best one's pairs, the
# report every pair (a 21-configuration sweep has 210, over 600 lines).
PAIRS_SHOWN = 10


def comparison_lines(w: WorkloadAnalysis) -> list[str]:
    """The pairs on the final test metric in plain words (wraps well in any width): every
    pair, or with more than PAIRS_SHOWN, the best-ranked group's."""
    pairs = w.comparisons[w.score]
    if len(pairs) > PAIRS_SHOWN and w.ranking:
        pairs = [c for c in pairs if w.ranking[0].group in (c.a, c.b)]
    return [
        f"{fmt.comparison_line(c)}; d_z {fmt.effect(c.effect)}, Holm p {fmt.p_value(c.p_holm)}"
        if c.n > 1
        else fmt.comparison_line(c)
        for c in pairs
    ]


def print_results(console: Console, view: StudyView, wide: bool = False) -> None:
    """The results table, the paired comparisons and their verdicts, the reference results
    beside the measured ones, and the findings count."""
    analysis = analyse(view)
    verdicts = head_verdicts(view)
    for w in analysis.workloads:
        table = results_table(view, w, analysis.multi, verdicts)
        print_table(
            console, table, lambda w=w: results_blocks(view, w, analysis.multi, verdicts), wide
        )
        _print_workload_notes(console, w, "head" if verdicts else "optimizer")
    if not analysis.workloads:
        console.print(f"Study {view.name}: no trials yet.", markup=False)
    print_reference(console, view, analysis, wide)
    _print_digests(console, view)
    _print_findings(console, view)


# More finished trials than this: their digests are left to the report and `export`.
DIGESTS_SHOWN = 12


def _print_digests(console: Console, view: StudyView) -> None:
    """Each finished trial's reproducibility digest (`optbench verify` rechecks them)."""
    done = [t for t in view.trials if t.row.get("digest")]
    if not done:
        return
    if len(done) > DIGESTS_SHOWN:
        console.print(f"{len(done)} trial digests: in the report's Trials table and `export`.")
        return
    console.print("Digests (per-epoch metrics and final weights; `optbench verify` rechecks):")
    table = Table(box=None, show_header=False, padding=(0, 0, 0, 2))
    for t in done:
        table.add_row(t.row["label"], t.row["digest"])
    console.print(table, markup=False, highlight=False)


def _print_workload_notes(console: Console, w: WorkloadAnalysis, unit: str) -> None:
    if w.seeds == 1:
        console.print(
            f"[yellow]One seed per {unit}: one seed cannot decide.[/] No difference above "
            "can be told apart from seed-to-seed noise; re-run with --seeds 0,1,2,3,4.",
            highlight=False,
        )
    lines = comparison_lines(w) if w.seeds > 1 else []
    if lines:
        total = len(w.comparisons[w.score])
        which = (
            f"{len(lines)} pair(s)"
            if len(lines) == total
            else f"{w.ranking[0].group} against each of the others, {len(lines)} of {total} pairs; "
            "every pair: the report's Comparisons"
        )
        console.print()
        console.print(
            f"Paired by seed, final {fmt.metric_name(w.score)} ({which}; 95% CI per pair, "
            "Holm-corrected p):",
            highlight=False,
        )
        for line in lines:
            # wraps under its text even on a soft-wrapping console
            console.print(_bullet(line), soft_wrap=False)
    unfinished = [
        f"{g.group} ({len(g.trials) - g.finished})" for g in w.groups if g.finished < len(g.trials)
    ]
    if unfinished:
        console.print(
            "Not finished: " + ", ".join(unfinished) + "; statistics use finished trials.",
            markup=False,
            highlight=False,
        )


# ---- reference results ---------------------------------------------------------------------


def reference_table(reference: Reference) -> Table:
    """Each reported number beside this study's mean, and the difference (here − reported)."""
    table = new_table(f"Beside the reference: {reference.source}")
    for col in ("Group", "Metric", "Here", "Reference", "Difference"):
        table.add_column(col, justify="left" if col in ("Group", "Metric") else "right")
    table.columns[2].no_wrap = table.columns[3].no_wrap = table.columns[4].no_wrap = True
    for row in reference.rows:
        unit = " %" if row.percent else ""
        table.add_row(
            Text(row.group),
            fmt.METRIC_NAMES[row.metric],
            _pm(row.mean, row.sd, row.percent, digits=4) + ("" if fmt.missing(row.mean) else unit),
            _pm(row.reference, math.nan, row.percent, digits=4) + unit,
            fmt.signed(row.difference, row.percent),
        )
    return table


def reference_blocks(reference: Reference) -> list[RenderableType]:
    """The reference table as one line per number, for a narrow terminal."""
    lines: list[RenderableType] = [
        Text(f"Beside the reference: {reference.source}", style="italic")
    ]
    for row in reference.rows:
        unit = " %" if row.percent else ""
        here = _pm(row.mean, row.sd, row.percent) + ("" if fmt.missing(row.mean) else unit)
        there = _pm(row.reference, math.nan, row.percent) + unit
        diff = fmt.signed(row.difference, row.percent)
        text = (
            f"{row.group}, {fmt.METRIC_NAMES[row.metric]}: here {here}, reported {there} ({diff})"
        )
        lines.append(_bullet(text))
    return lines


def print_reference(console: Console, view: StudyView, analysis: Analysis, wide: bool) -> None:
    """The `[reference]` numbers beside the measured ones, with every differing condition."""
    reference = study_reference(view, analysis)
    if reference is None:
        return
    console.print()
    print_table(console, reference_table(reference), lambda: reference_blocks(reference), wide)
    for heading, lines in (
        ("The conditions differ, so the numbers are expected to:", reference.conditions),
        ("Notes on the reported numbers:", reference.notes),
    ):
        if lines:
            console.print(heading, highlight=False)
        for line in lines:
            console.print(_bullet(line))


def _bullet(text: str) -> Padding:
    """`• text`, the wrapped lines hanging under the text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row("•", Text(text))
    return Padding(grid, (0, 0, 0, 2))


def _print_findings(console: Console, view: StudyView) -> None:
    if not view.findings:
        return
    counts: dict[str, int] = {}
    for f in view.findings:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    parts = fmt.counts(counts)
    codes = ", ".join(sorted({f["code"] for f in view.findings}))
    console.print(f"Findings: {parts} ({codes}); see the report.", highlight=False, markup=False)


# ---- ls --------------------------------------------------------------------------------------

LISTING_COLUMNS = ("Study", "Status", "Trials", "Dataset", "Optimizers", "Updated")


def _listing_cells(s: StudyListing, root: Path) -> tuple[str, str, str, str, str, str]:
    folder = _relative(s.folder, root)
    name = folder if s.name in (folder, s.folder.name) else f"{folder} ({s.name})"
    status = s.status + (f" ({s.failed})" if s.failed else "")
    return (
        name,
        f"[{STATUS_STYLE.get(s.status, '')}]{status}[/]",
        f"{s.finished}/{s.trials}" if s.trials else fmt.DASH,
        ", ".join(s.datasets) or fmt.DASH,
        ", ".join(s.groups) or fmt.DASH,
        _when(s.updated),
    )


def listing_table(listings: Sequence[StudyListing], root: Path) -> Table:
    """One row per study; study names and times never wrap, dataset and optimizer lists wrap
    between their items."""
    table = new_table(f"Studies in {root}")
    for col in LISTING_COLUMNS:
        wraps = col in ("Dataset", "Optimizers")
        table.add_column(col, justify="right" if col == "Trials" else "left", no_wrap=not wraps)
    for s in listings:
        name, status, trials, datasets, groups, updated = _listing_cells(s, root)
        table.add_row(Text(name), status, trials, Text(datasets), Text(groups), updated)
    return table


def listing_blocks(listings: Sequence[StudyListing], root: Path) -> list[RenderableType]:
    """`ls` as one block per study: its name on a line of its own, the rest under it."""
    blocks: list[RenderableType] = []
    for s in listings:
        name, status, trials, datasets, groups, updated = _listing_cells(s, root)
        blocks.append(Text(name, style="bold"))
        status_line = Text.from_markup(status) + Text(f" · {trials} trials · {datasets}")
        if updated != fmt.DASH:
            status_line.append(f" · updated {updated}")
        blocks.append(Padding(status_line, (0, 0, 0, 2)))
        if groups != fmt.DASH:
            blocks.append(Padding(Text(groups), (0, 0, 0, 2)))
    return blocks


def print_listing(
    console: Console, listings: list[StudyListing], root: Path, wide: bool = False
) -> None:
    if not listings:
        console.print(f"No studies in {root} (a study folder holds study.sqlite).", markup=False)
        return
    table = listing_table(listings, root)
    print_table(console, table, lambda: listing_blocks(listings, root), wide)
    if any(s.problem for s in listings):
        console.print()
    for s in listings:
        if s.problem:
            where, problem = escape(_relative(s.folder, root)), escape(s.problem)
            console.print(f"[red]{where}:[/] {problem}", highlight=False)


def _relative(folder: Path, root: Path) -> str:
    try:
        text = str(folder.relative_to(root))
    except ValueError:
        text = str(folder)
    return text if text != "." else f"{root.name or root} (this folder)"


def _when(timestamp: float | None) -> str:
    if timestamp is None or math.isnan(timestamp):
        return fmt.DASH
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
