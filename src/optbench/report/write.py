"""Writing a study's reports: figures, report.md and report.html, from its StudyView alone."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from optbench.report.analysis import Analysis, analyse
from optbench.report.content import build_document
from optbench.report.figures import draw_figures, plan_figures
from optbench.report.html import render_html
from optbench.report.markdown import markdown_document
from optbench.report.view import StudyView

FIGURES = "figures"


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    html: Path
    figures: tuple[Path, ...]


def write_report(view: StudyView, folder: Path, target: float | None = None) -> Path:
    """Write figures, report.md and report.html into the study folder; return report.md's path.

    `target` (test accuracy in [0, 1]) fixes the time-to-target level; by default it is derived
    from the study. Everything comes from the store, so the same store gives the same files.
    """
    return write_reports(view, folder, target).markdown


def write_reports(view: StudyView, folder: Path, target: float | None = None) -> ReportFiles:
    """`write_report`, returning every file it wrote."""
    folder = Path(folder)
    analysis = analyse(view, target)
    figures = plan_figures(view, analysis)
    drawn = draw_figures(view, analysis, figures, folder / FIGURES)
    doc = build_document(view, analysis, figures)
    markdown = _atomic_write(folder / "report.md", markdown_document(doc, FIGURES))
    page = render_html(doc, folder / FIGURES, subtitle(view, analysis))
    html = _atomic_write(folder / "report.html", page)
    return ReportFiles(markdown, html, tuple(drawn))


def subtitle(view: StudyView, analysis: Analysis) -> str:
    finished = sum(1 for t in view.trials if t.done)
    datasets = ", ".join(f"`{w.workload}`" for w in analysis.workloads) or "no dataset yet"
    groups = len(analysis.group_order)
    return (
        f"optbench report · {datasets} · {groups} optimizer group{'s' * (groups != 1)} · "
        f"{finished}/{len(view.trials)} trials finished"
    )


def _atomic_write(path: Path, text: str) -> Path:
    """Readers (a browser, `optbench show`) never see a half-written report."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a full disk must not leave report.html.tmp
            tmp.unlink(missing_ok=True)
        if exc.filename is None:  # a failed write names no file: name the one it was for
            exc.filename = str(path)
        raise
    return path
