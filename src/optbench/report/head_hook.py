"""The head-study section comes from `optbench.report.heads` (another module's work) when it
exists; this is the one place that knows how to call it, so the report works without it."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from optbench.report.view import StudyView

HEADS_FIGURE = "heads.png"


def heads_module() -> ModuleType | None:
    try:
        return importlib.import_module("optbench.report.heads")
    except ModuleNotFoundError as exc:
        if exc.name != "optbench.report.heads":
            raise  # the module exists but is broken: say so, do not hide it
        return None


def plans_head_figure(view: StudyView) -> bool:
    """Whether the report draws the heads figure (a head study, and a module that draws it)."""
    module = heads_module()
    return bool(view.config.get("heads")) and hasattr(module, "draw_heads_figure")


def draw_head_figure(view: StudyView, path: Path) -> Path | None:
    module = heads_module()
    return module.draw_heads_figure(view, path) if module else None


def head_verdicts(view: StudyView) -> dict[str, str]:
    """Each head group's verdict for a head study ({} otherwise, or without the module)."""
    module = heads_module() if view.config.get("heads") else None
    return module.head_verdicts(view) if module else {}


def head_sections(view: StudyView, heads_figure: str | None = None) -> tuple[str, str]:
    """(Markdown, HTML) of the head section; ("", "") for a study without heads."""
    module = heads_module()
    if module is None:
        return "", ""
    if heads_figure:
        return (
            module.heads_markdown(view, heads_figure=heads_figure),
            module.heads_html(view, heads_figure=heads_figure),
        )
    return module.heads_markdown(view), module.heads_html(view)
