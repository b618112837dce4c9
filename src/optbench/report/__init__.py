"""Reports regenerated from the store alone: Markdown, figures."""

from optbench.report.markdown import render_markdown, write_report
from optbench.report.view import GroupSummary, StudyView, TrialView

__all__ = ["GroupSummary", "StudyView", "TrialView", "render_markdown", "write_report"]
