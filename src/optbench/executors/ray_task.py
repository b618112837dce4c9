"""What runs on a Ray worker: one trial or replica group, its events streamed back as it trains.

The task is a Ray *streaming generator* (`num_returns="streaming"`): every event it yields
reaches the driver as soon as it is yielded, so progress, the store and TensorBoard update live
while the task runs on another machine. Datasets travel once through Ray's object store as
numpy arrays (stored zero-copy, shared by every worker on a node); each worker process turns
them into tensors once and keeps them for its next tasks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import ray
import torch

from optbench.core.specs import TrialResult, TrialSpec, TrialStarted
from optbench.data import Dataset
from optbench.data.dataset import Split
from optbench.engine import Event, TrainOptions, load_checkpoint, train_trial, use_threads
from optbench.executors.base import failed, run_group

SPLITS = ("train", "test")
# Per worker process: datasets already turned into tensors, by object-store id.
_datasets: dict[str, Dataset] = {}


@dataclass(frozen=True)
class SharedDataset:
    """A Dataset as it sits in the object store: numpy arrays plus every other field."""

    arrays: dict[str, np.ndarray]  # train_x [N, …] float32, train_y [N] int64, test_x, test_y
    info: dict[str, Any]  # the Dataset's other fields (name, num_classes, input_shape, …)

    @classmethod
    def of(cls, data: Dataset) -> SharedDataset:
        arrays = {
            f"{split}_{part}": getattr(getattr(data, split), part).numpy()
            for split in SPLITS
            for part in ("x", "y")
        }
        info = {f.name: getattr(data, f.name) for f in fields(data) if f.name not in SPLITS}
        return cls(arrays, info)

    def to_dataset(self) -> Dataset:
        """Tensors of our own: object-store arrays are read-only views that pin the object."""
        splits = {
            split: Split(
                torch.from_numpy(self.arrays[f"{split}_x"].copy()),
                torch.from_numpy(self.arrays[f"{split}_y"].copy()),
            )
            for split in SPLITS
        }
        return Dataset(**splits, **self.info)


def dataset_in_worker(box: Sequence[ray.ObjectRef]) -> Dataset:
    """The dataset behind `box[0]` (boxed, so Ray does not fetch it before we look here)."""
    key = box[0].hex()
    if key not in _datasets:
        _datasets.clear()  # a worker serves one study at a time: keep one dataset in memory
        _datasets[key] = ray.get(box[0]).to_dataset()
    return _datasets[key]


def train_remote(
    group: Sequence[TrialSpec],
    box: Sequence[ray.ObjectRef],
    options: TrainOptions,
    resume: Mapping[str, bytes],
    initial: bytes | None,
) -> Iterator[Event]:
    """Train `group` (one trial, or several as replicas in lockstep) and yield its events.

    An exception fails the group's trials that have not ended, with its message; only a dead
    worker or node ends the task without TrialResults, and the driver then retries it.
    """
    use_threads(options.threads)
    ended: set[str] = set()
    try:
        data = dataset_in_worker(box)
        for event in _events(group, data, options, resume, initial):
            if isinstance(event, TrialStarted):
                event.env = {**event.env, **where()}
            elif isinstance(event, TrialResult):
                ended.add(event.trial_id)
            yield event
    except Exception as exc:
        for trial in group:
            if trial.id not in ended:
                yield failed(trial, exc)


def _events(
    group: Sequence[TrialSpec],
    data: Dataset,
    options: TrainOptions,
    resume: Mapping[str, bytes],
    initial: bytes | None,
) -> Iterator[Event]:
    if initial is None:
        return run_group(group, data, options, resume)
    (trial,) = group  # a reuse_model link trains alone, from the previous link's final weights
    state = load_checkpoint(initial, source=f"final checkpoint of trial {trial.init_from}").model
    return train_trial(trial, data, options, (), state, resume.get(trial.id))


def where() -> dict[str, object]:
    """Where a trial ran: recorded in its environment (and used to find a worker to kill)."""
    return {
        "executor": "ray",
        "node": ray.util.get_node_ip_address(),
        "pid": os.getpid(),
    }


# `max_retries=0`: the driver side retries a lost task itself, from the trials' latest
# checkpoints, so a retried generator never replays events the driver already recorded.
train_task = ray.remote(num_returns="streaming", max_retries=0)(train_remote)
