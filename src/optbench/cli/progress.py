"""The live progress bar: trial, epoch and ETA, with findings printed above it."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from optbench.core.specs import EpochRecord, Finding, TrialResult, TrialSpec

SEVERITY_STYLE = {"info": "cyan", "warning": "yellow", "error": "bold red"}


class RichProgress:
    """Implements the driver's Progress protocol on a rich progress bar (one bar, all epochs)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("epochs"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            # Redrawn on each event instead of by a refresh thread: the pool forks its workers
            # from this process, which must then have no other thread (see executors/pool.py).
            auto_refresh=False,
        )
        self._task = self._bar.add_task("starting", total=None)
        self._epochs = 0
        self._trial_index = 0
        self._trials = 0

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def study_started(self, total: int, skipped: int, epochs: int) -> None:
        self._epochs, self._trials, self._trial_index = epochs, total - skipped, 0
        self._bar.update(
            self._task, total=max(1, (total - skipped) * epochs), completed=0, refresh=True
        )
        if skipped:
            self.console.print(f"Resuming: {skipped} of {total} trials already finished.")

    def trial_started(self, spec: TrialSpec) -> None:
        self._trial_index += 1
        self._describe(spec, 0)

    def epoch_done(self, spec: TrialSpec, record: EpochRecord) -> None:
        self._describe(spec, record.epoch, advance=1)

    def trial_done(self, spec: TrialSpec, result: TrialResult) -> None:
        if result.status == "failed":
            self.console.print(
                f"[red]✗ {escape(spec.label)} failed:[/] {escape(str(result.error))}",
                highlight=False,
            )
            return
        self.console.print(f"[green]✓[/] {escape(spec.label)} {result.status}", highlight=False)

    def note(self, text: str) -> None:
        self.console.print(f"[cyan]{escape(text)}[/]", highlight=False)

    def finding(self, finding: Finding) -> None:
        style = SEVERITY_STYLE.get(finding.severity, "")
        self.console.print(
            f"[{style}]{finding.severity}[/] {finding.code}: {escape(finding.message)} "
            f"[dim]Fix: {escape(finding.fix)}[/]",
            highlight=False,
        )

    def _describe(self, spec: TrialSpec, epoch: int, advance: int = 0) -> None:
        label = escape(spec.label)
        text = f"trial {self._trial_index}/{self._trials} {label} epoch {epoch}/{self._epochs}"
        self._bar.update(self._task, description=text, advance=advance, refresh=True)
