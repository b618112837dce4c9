"""Reports regenerated from the store alone: statistics, figures, Markdown and HTML, exports.

The names below are imported from their modules on first use (PEP 562): reading a study
(`optbench show`, `ls`, `export`) needs neither matplotlib nor torch, which only the figures
and the head section import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optbench.core.lazy import lazy_names

if TYPE_CHECKING:
    from optbench.report.analysis import Analysis, WorkloadAnalysis, analyse
    from optbench.report.catalog import StudyListing, list_studies
    from optbench.report.export import export_csv, export_json
    from optbench.report.markdown import render_markdown
    from optbench.report.open import open_study
    from optbench.report.reference import Reference, ReferenceRow, study_reference
    from optbench.report.stats import Interval, PairedComparison, paired_comparison, t_interval
    from optbench.report.tidy import summary_rows, tidy_rows
    from optbench.report.view import GroupSummary, StudyView, TrialView
    from optbench.report.write import ReportFiles, write_report, write_reports

_WHERE = {
    "optbench.report.analysis": ("Analysis", "WorkloadAnalysis", "analyse"),
    "optbench.report.catalog": ("StudyListing", "list_studies"),
    "optbench.report.export": ("export_csv", "export_json"),
    "optbench.report.markdown": ("render_markdown",),
    "optbench.report.open": ("open_study",),
    "optbench.report.reference": ("Reference", "ReferenceRow", "study_reference"),
    "optbench.report.stats": ("Interval", "PairedComparison", "paired_comparison", "t_interval"),
    "optbench.report.tidy": ("summary_rows", "tidy_rows"),
    "optbench.report.view": ("GroupSummary", "StudyView", "TrialView"),
    "optbench.report.write": ("ReportFiles", "write_report", "write_reports"),
}
__getattr__, __dir__ = lazy_names(__name__, _WHERE)

__all__ = [
    "Analysis",
    "GroupSummary",
    "Interval",
    "PairedComparison",
    "Reference",
    "ReferenceRow",
    "ReportFiles",
    "StudyListing",
    "StudyView",
    "TrialView",
    "WorkloadAnalysis",
    "analyse",
    "export_csv",
    "export_json",
    "list_studies",
    "open_study",
    "paired_comparison",
    "render_markdown",
    "study_reference",
    "summary_rows",
    "t_interval",
    "tidy_rows",
    "write_report",
    "write_reports",
]  # the names of _WHERE (tests/core/test_lazy.py checks)
