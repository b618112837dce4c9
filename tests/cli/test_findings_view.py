"""The checker's findings as doctor and heads print them: user text stays text, a finding that
follows from another points at it instead of giving its own fix."""

from __future__ import annotations

import io

from rich.console import Console

from optbench.cli.findings_view import print_heads, print_section
from optbench.core.specs import Finding


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None, soft_wrap=True), out


def test_markup_in_names_and_messages_is_printed_as_written() -> None:
    console, out = _console()
    finding = Finding(
        "head.units_mismatch", "error", "the folder [/red]cats[bold] has one class", "f [x]"
    )
    errors, warnings = print_heads(console, {"1×[red]sigmoid": [finding]}, "data [b]")
    text = out.getvalue()
    assert (errors, warnings) == (1, 0)
    for literal in (
        "1×[red]sigmoid",
        "the folder [/red]cats[bold] has one class",
        "f [x]",
        "data [b]",
    ):
        assert literal in text


def test_a_symptom_names_its_cause_instead_of_a_fix() -> None:
    console, out = _console()
    cause = Finding("train.diverged", "error", "diverged", "Lower the learning rate.")
    symptom = Finding(
        "opt.update_ratio_low", "warning", "small updates", "Raise the learning rate."
    )
    print_section(console, "Trial", [symptom], [cause])
    text = out.getvalue()
    assert "Follows from train.diverged" in text and "Raise the learning rate" not in text
