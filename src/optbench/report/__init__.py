"""Reports regenerated from the store alone: statistics, figures, Markdown and HTML, exports."""

from optbench.report.analysis import Analysis, WorkloadAnalysis, analyse
from optbench.report.catalog import StudyListing, list_studies
from optbench.report.export import export_csv, export_json
from optbench.report.markdown import render_markdown
from optbench.report.stats import Interval, PairedComparison, paired_comparison, t_interval
from optbench.report.tidy import summary_rows, tidy_rows
from optbench.report.view import GroupSummary, StudyView, TrialView
from optbench.report.write import ReportFiles, preload, write_report, write_reports

__all__ = [
    "Analysis",
    "GroupSummary",
    "Interval",
    "PairedComparison",
    "ReportFiles",
    "StudyListing",
    "StudyView",
    "TrialView",
    "WorkloadAnalysis",
    "analyse",
    "export_csv",
    "export_json",
    "list_studies",
    "paired_comparison",
    "preload",
    "render_markdown",
    "summary_rows",
    "t_interval",
    "tidy_rows",
    "write_report",
    "write_reports",
]
