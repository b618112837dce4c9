"""`optbench doctor`'s note on code a study file imports, printed before the study is loaded.

An optimizer given as `module.path:Class` is imported to be checked and run: its module's
code runs with your rights. A study file from someone else should say so before it does.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from optbench.core.errors import OptbenchError
from optbench.plan.imports import import_paths
from optbench.plan.study_file import read_study_file


def print_import_note(console: Console, study_file: Path) -> int:
    """Name every module the study imports; return how many. A file that cannot be read is
    left to the study's own validation, which says why."""
    try:
        raw = read_study_file(study_file)
    except OptbenchError:  # load_study, right after, reports it with its message
        return 0
    paths = import_paths(raw)
    for where, path in paths:
        module = path.partition(":")[0]
        console.print(
            f"[yellow]warning[/] imports code: {where} '{escape(path)}' imports module "
            f"'{escape(module)}', which runs that module's code with your rights (now, to "
            "check it, and again in every run). [dim]Fix: run study files only from people "
            "you trust, or use a built-in optimizer (`optbench optimizers`).[/]",
            highlight=False,
        )
    return len(paths)
