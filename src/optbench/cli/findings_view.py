"""Findings as the checker's commands print them (`optbench doctor`, `optbench heads`): a mark
per section or head, each finding with its fix, or the finding it follows from instead.
Messages quote the user's names and paths: they are printed as text, never as rich markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from optbench.core.specs import Finding

MARKS = {"error": "[red]✗[/]", "warning": "[yellow]![/]", "info": "[blue]i[/]"}
COLORS = {"error": "red", "warning": "yellow", "info": "blue"}
NONE = "[green]✓[/]"


def print_section(
    console: Console, title: str, findings: list[Finding], shared: Sequence[Finding]
) -> None:
    """One titled list of findings, or a tick when there are none."""
    if not findings:
        console.print(f"{NONE} {escape(title)} — no findings", highlight=False)
        return
    worst = min(findings, key=lambda f: list(MARKS).index(f.severity)).severity
    console.print(f"{MARKS[worst]} {escape(title)}", highlight=False)
    print_findings(console, findings, shared)


def print_heads(
    console: Console,
    results: dict[str, list[Finding]],
    where: str,
    shared: Sequence[Finding] = (),
) -> tuple[int, int]:
    """Each head's findings; returns (heads with errors, heads with warnings only)."""
    console.print(f"Checked {len(results)} head(s) on {where}, before training:", markup=False)
    errors = warnings = 0
    for label, findings in results.items():
        worst = {f.severity for f in findings}
        errors += "error" in worst
        warnings += "warning" in worst and "error" not in worst
        mark = next((MARKS[s] for s in ("error", "warning") if s in worst), NONE)
        tail = "" if findings else " — no findings"
        console.print(f"{mark} {escape(label)}{tail}", highlight=False)
        print_findings(console, findings, shared)
    return errors, warnings


def print_findings(console: Console, findings: list[Finding], shared: Sequence[Finding]) -> None:
    """Findings with their fixes; one that follows from another says which, instead of its
    own fix."""
    from optbench.diagnose.cause import root_cause

    for f in findings:
        head = f"    [{COLORS[f.severity]}]{f.severity}[/] {f.code}: "
        console.print(head + escape(f.message), highlight=False)
        cause = root_cause(f, [*shared, *findings])
        if cause is f:
            console.print(f"      Fix: {f.fix}", highlight=False, markup=False)
        else:
            console.print(f"      Follows from {cause.code}: fix that first.", highlight=False)
