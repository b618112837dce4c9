"""The local executor: trials one after another in this process."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from optbench.core.errors import DataError, TrainingError
from optbench.core.specs import EpochRecord, TrialSpec
from optbench.data import Dataset
from optbench.engine import Event, load_checkpoint, train_trial
from optbench.executors.base import (
    DatasetCache,
    RunRequest,
    failed,
    monitors_for,
    resume_epochs,
    run_group,
)
from optbench.executors.groups import plan_groups

State = dict[str, torch.Tensor]


class LocalExecutor:
    """Runs every trial in the calling process, in order.

    The only executor that can chain trials, as `reuse_model` studies need.
    """

    def run(self, request: RunRequest) -> Iterator[Event]:
        datasets = DatasetCache(request.cache_dir, request.preloaded)
        final_states: dict[str, State] = {
            trial_id: load_checkpoint(blob).model
            for trial_id, blob in request.initial_states.items()
        }
        epochs = resume_epochs(request.resume)
        for group in plan_groups(request.trials, 1, epochs, request.options):
            data = datasets.get(group[0].dataset, group[0].task)  # a DataError ends the study
            if request.options.stack:
                yield from run_group(group, data, request.options, request.resume)
            else:
                yield from _run_alone(group[0], data, request, final_states)


def _run_alone(
    trial: TrialSpec, data: Dataset, request: RunRequest, final_states: dict[str, State]
) -> Iterator[Event]:
    """One trial on its own; its final weights (from its last checkpoint) are kept, as a
    reuse_model chain's next link starts from them (reuse_model studies never group)."""
    last: bytes | None = None
    try:
        initial = _initial_state(trial, final_states)
        resume = request.resume.get(trial.id)
        callbacks = monitors_for(request.options)
        for event in train_trial(trial, data, request.options, callbacks, initial, resume):
            if isinstance(event, EpochRecord) and event.checkpoint is not None:
                last = event.checkpoint
            yield event
    except DataError:
        raise
    except Exception as exc:
        # One broken trial is recorded as failed; the study goes on.
        yield failed(trial, exc)
    if last is not None:
        final_states[trial.id] = load_checkpoint(last).model


def _initial_state(trial: TrialSpec, final_states: dict[str, State]) -> State | None:
    if trial.init_from is None:
        return None
    if trial.init_from not in final_states:
        raise TrainingError(
            f"{trial.label} continues the model of trial {trial.init_from} (reuse_model), whose "
            "final checkpoint is missing. Re-run the whole study in a new folder."
        )
    return final_states[trial.init_from]
