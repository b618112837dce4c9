"""optbench.diagnose: find the symptoms of a broken or unfair training run, as Findings, and
say which of them is the cause.

- `build_monitors(stop_on)`: fresh runtime monitors for one trial (engine callbacks), cheap
  enough to stay on: sampled per-step checks, epoch-level checks, probe-batch hooks at epoch
  end only. A monitor that raises a finding whose code is in `stop_on` ends the trial.
- `check_data(dataset)`: static findings from the data alone, as its task reads it (NaN or
  constant inputs, labels, targets or next tokens unrelated to inputs, unscaled inputs or
  regression targets, imbalanced classes).
- `check_setup(model, loss, batch, labels, task=...)`: a model/head/loss/labels setup checked
  before training, on any task (setup_check.py); `check_study_design(study)`: what the study
  file alone shows (a reused model, a learning-rate grid too narrow to tune).
- `group_findings(findings, epochs, task)`: one trial's findings grouped under their root
  cause, revised when the run recovered (cause.py); `task_for(loss, classes, task)`: the
  chance levels and metric a trial is judged by (accuracy, R², or a language model's
  per-token loss), `chance_from_batch` the levels its data decides.
- `lr_edge_findings(study, lrs)`, `landscape_edge_findings(result)`: a tuned learning rate
  sits at the edge of its grid (grid_edge.py).
- `CODES`: the catalogue of finding codes, with explanation and fix for the report.

    from optbench.diagnose import build_monitors
    events = train_trial(spec, data, options, callbacks=build_monitors(options.stop_on))
"""

from __future__ import annotations

from collections.abc import Iterable

from optbench.diagnose.cause import EXPLAINS, Diagnosis, group_findings
from optbench.diagnose.codes import CODES, CodeInfo, explain
from optbench.diagnose.data_check import check_data, check_inputs_scaled, check_label_balance
from optbench.diagnose.grid_edge import landscape_edge_findings, lr_edge_findings
from optbench.diagnose.history import History
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.monitors import (
    MONITORS,
    ChanceAccuracyMonitor,
    DivergenceMonitor,
    DyingReluMonitor,
    GradientMonitor,
    InitialLossMonitor,
    LossTrendMonitor,
    NonFiniteMonitor,
    OverfittingMonitor,
    SaturationMonitor,
    UpdateRatioMonitor,
)
from optbench.diagnose.setup_check import check_setup
from optbench.diagnose.stop import resolve_stop_on
from optbench.diagnose.study_check import check_study_design
from optbench.diagnose.task import Task, chance_from_batch, task_for
from optbench.engine import Callback


def build_monitors(stop_on: Iterable[str] = ("train.nan_loss",)) -> list[Callback]:
    """Fresh monitors for one trial, sharing one History (first in the list, so it records
    each epoch before the monitors read it). `stop_on`: finding codes, short forms
    (`nan_loss`, `diverged`) or aliases (`nan`) that end the trial; unknown names raise
    ConfigError."""
    codes = resolve_stop_on(stop_on)
    history = History()
    return [history, *(monitor(history, codes) for monitor in MONITORS)]


__all__ = [
    "CODES",
    "EXPLAINS",
    "MONITORS",
    "ChanceAccuracyMonitor",
    "CodeInfo",
    "Diagnosis",
    "DivergenceMonitor",
    "DyingReluMonitor",
    "GradientMonitor",
    "History",
    "InitialLossMonitor",
    "LossTrendMonitor",
    "Monitor",
    "NonFiniteMonitor",
    "OverfittingMonitor",
    "SaturationMonitor",
    "Task",
    "UpdateRatioMonitor",
    "build_monitors",
    "chance_from_batch",
    "check_data",
    "check_inputs_scaled",
    "check_label_balance",
    "check_setup",
    "check_study_design",
    "explain",
    "group_findings",
    "landscape_edge_findings",
    "lr_edge_findings",
    "resolve_stop_on",
    "task_for",
]
