"""What every executor does: run trials, stream their events back to the driver."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from optbench.core.specs import DatasetSpec, TrialResult, TrialSpec
from optbench.data import Dataset, load_dataset
from optbench.engine import Event, TrainOptions


@dataclass(frozen=True)
class RunRequest:
    """The trials to run and how: the dataset spec travels, not the arrays, unless given."""

    trials: Sequence[TrialSpec]
    options: TrainOptions
    cache_dir: Path
    preloaded: Mapping[str, Dataset] = field(default_factory=dict)  # by dataset_key()
    # Checkpoint bytes per trial id: continue these trials after the checkpoint's epoch.
    resume: Mapping[str, bytes] = field(default_factory=dict)
    # Final checkpoints of trials that `init_from` points at (reuse_model studies).
    initial_states: Mapping[str, bytes] = field(default_factory=dict)


class Executor(Protocol):
    def run(self, request: RunRequest) -> Iterator[Event]:
        """Yield every trial's events; a trial that raises yields a failed TrialResult."""
        ...


def failed(trial: TrialSpec, exc: BaseException) -> TrialResult:
    """A trial that raised: recorded with its error while the study goes on."""
    return TrialResult(trial.id, "failed", error=f"{type(exc).__name__}: {exc}")


def dataset_key(spec: DatasetSpec) -> str:
    """Specs hold dicts, so they are not hashable: their repr is the key."""
    return repr(spec)


class DatasetCache:
    """Load each distinct dataset once per process, however many trials use it."""

    def __init__(self, cache_dir: Path, preloaded: Mapping[str, Dataset] | None = None) -> None:
        self.cache_dir = cache_dir
        self._loaded: dict[str, Dataset] = dict(preloaded or {})

    def get(self, spec: DatasetSpec) -> Dataset:
        key = dataset_key(spec)
        if key not in self._loaded:
            self._loaded[key] = load_dataset(spec, self.cache_dir)
        return self._loaded[key]
