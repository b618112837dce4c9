"""Terminal rendering of stored studies (shared by `compare`, `run`, `show` and `ls`).

The numbers and verdicts come from `optbench.report`'s analysis, the same one the Markdown and
HTML reports render, so the terminal never tells a different story.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from optbench.report import StudyListing, StudyView, WorkloadAnalysis, analyse
from optbench.report import format as fmt

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


def results_table(view: StudyView, w: WorkloadAnalysis, multi: bool = False) -> Table:
    where = f" on {w.workload}" if multi else ""
    table = Table(
        title=escape(f"Study {view.name}{where}: final epoch, mean ± sd (validation = test split)"),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    columns = ("Optimizer", "Seeds", "Test acc %", "95% CI", "Test loss", "Train acc %")
    for col in columns:
        table.add_column(col, justify="right", no_wrap=True)
    table.columns[0].justify, table.columns[0].no_wrap = "left", False
    table.columns[0].overflow = "fold"
    table.columns[0].min_width = len("Optimizer")
    for g in w.groups:
        acc, loss, train = g.interval("val/acc"), g.interval("val/loss"), g.interval("train/acc")
        table.add_row(
            escape(g.group),  # a user's label is text, not markup
            f"{g.finished}/{len(g.trials)}",
            _pm(acc.mean, acc.sd, True),
            _span(acc.low, acc.high, 100.0, 2),
            _pm(loss.mean, loss.sd, digits=3),
            _pm(train.mean, train.sd, True),
        )
    return table


def _span(low: float, high: float, k: float, digits: int) -> str:
    if fmt.missing(low) or fmt.missing(high):
        return fmt.DASH
    note = f" {fmt.UNINFORMATIVE}" if k == 100.0 and fmt.uninformative(low, high) else ""
    return f"{low * k:.{digits}f}–{high * k:.{digits}f}{note}"


def comparison_lines(w: WorkloadAnalysis) -> list[str]:
    """Every pair on final test accuracy in plain words (wraps well in any terminal width)."""
    return [
        f"{fmt.comparison_line(c)}; d_z {fmt.effect(c.effect)}, Holm p {fmt.p_value(c.p_holm)}"
        if c.n > 1
        else fmt.comparison_line(c)
        for c in w.comparisons["val/acc"]
    ]


def print_results(console: Console, view: StudyView) -> None:
    """The results table, the paired comparisons and their verdicts, and the findings count."""
    analysis = analyse(view)
    for w in analysis.workloads:
        console.print(results_table(view, w, analysis.multi))
        if w.seeds == 1:
            console.print(
                "[yellow]One seed per optimizer: one seed cannot decide.[/] No difference above "
                "can be told apart from seed-to-seed noise; re-run with --seeds 0,1,2,3,4.",
                highlight=False,
            )
        lines = comparison_lines(w) if w.seeds > 1 else []
        if lines:
            console.print()
            console.print(
                f"Paired by seed, final test accuracy ({len(lines)} pair(s); 95% CI per pair, "
                "Holm-corrected p):",
                highlight=False,
            )
            for line in lines:
                console.print(
                    Padding(f"• {line}", (0, 0, 0, 2)),
                    markup=False,
                    highlight=False,
                    soft_wrap=False,  # wrap under the bullet even on a soft-wrapping console
                )
        unfinished = [
            f"{g.group} ({len(g.trials) - g.finished})"
            for g in w.groups
            if g.finished < len(g.trials)
        ]
        if unfinished:
            console.print(
                "Not finished: " + ", ".join(unfinished) + "; statistics use finished trials.",
                markup=False,
                highlight=False,
            )
    if not analysis.workloads:
        console.print(f"Study {view.name}: no trials yet.", markup=False)
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


def _print_findings(console: Console, view: StudyView) -> None:
    if not view.findings:
        return
    counts: dict[str, int] = {}
    for f in view.findings:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    parts = fmt.counts(counts)
    codes = ", ".join(sorted({f["code"] for f in view.findings}))
    console.print(f"Findings: {parts} ({codes}); see the report.", highlight=False, markup=False)


def listing_table(listings: list[StudyListing], root: Path) -> Table:
    table = Table(title=escape(f"Studies in {root}"), box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("Study", "Status", "Trials", "Dataset", "Optimizers", "Updated"):
        wraps = col in ("Study", "Dataset", "Optimizers")
        table.add_column(col, justify="right" if col == "Trials" else "left", no_wrap=not wraps)
    table.columns[0].overflow = "fold"
    table.columns[0].min_width = 10
    table.columns[4].overflow = "fold"
    for s in listings:
        folder = _relative(s.folder, root)
        name = folder if s.name in (folder, s.folder.name) else f"{folder} ({s.name})"
        status = s.status + (f" ({s.failed})" if s.failed else "")
        table.add_row(
            escape(name),
            f"[{STATUS_STYLE.get(s.status, '')}]{status}[/]",
            f"{s.finished}/{s.trials}" if s.trials else fmt.DASH,
            escape(", ".join(s.datasets)) or fmt.DASH,
            escape(", ".join(s.groups)) or fmt.DASH,
            _when(s.updated),
        )
    return table


def print_listing(console: Console, listings: list[StudyListing], root: Path) -> None:
    if not listings:
        console.print(f"No studies in {root} (a study folder holds study.sqlite).", markup=False)
        return
    console.print(listing_table(listings, root))
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
