"""What every executor does: run trials, stream their events back to the driver."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from optbench.core.errors import DataError
from optbench.core.specs import DatasetSpec, TrialResult, TrialSpec
from optbench.data import Dataset, Split, load_dataset
from optbench.diagnose import build_monitors
from optbench.diagnose.setup_check import SetupCheck
from optbench.engine import (
    Callback,
    Carried,
    Event,
    HandedOff,
    Handoff,
    TrainOptions,
    load_checkpoint,
    train_group,
)


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

    def get(self, spec: DatasetSpec, task: str = "classification") -> Dataset:
        key = dataset_key(spec)
        if key not in self._loaded:
            if spec.holdout:
                whole = self.get(replace(spec, holdout=None), task)
                self._loaded[key] = carve_holdout(whole, spec.holdout)
            else:
                self._loaded[key] = load_dataset(spec, self.cache_dir, task=task)
        return self._loaded[key]


def carve_holdout(data: Dataset, n: int) -> Dataset:
    """The last `n` training examples become the evaluation split (for tuning: the test set
    is never used to choose)."""
    x, y = data.train.x, data.train.y
    return replace(data, train=Split(x[:-n], y[:-n]), test=Split(x[-n:], y[-n:]))


def run_group(
    group: Sequence[TrialSpec],
    data: Dataset,
    options: TrainOptions,
    resume: Mapping[str, bytes],
    *,
    carried: Sequence[Carried] = (),
    handoff: Handoff | None = None,
) -> Iterator[Event | HandedOff]:
    """Train one planned group (one trial, or several as replicas in lockstep) and the
    `carried` replicas another group handed off (see engine/handoff.py). With `handoff`, the
    group gives replicas away when asked, as HandedOff events.

    An exception in a group of several trials re-runs its unfinished trials one by one (from
    where this run started them: a replica computes the same alone as in its group), so only
    the trial that raises is recorded as failed; alone, a trial that raises fails with its
    error. The study goes on either way.
    """
    ended: set[str] = set()
    try:
        events = train_group(
            group,
            data,
            options,
            lambda _spec: monitors_for(options),
            resume,
            carried=carried,
            handoff=handoff,
        )
        for event in events:
            if isinstance(event, TrialResult | HandedOff):
                ended.add(event.trial_id)  # a replica handed off is now another group's
            yield event
    except DataError:
        raise
    except Exception as exc:
        unfinished = [t for t in group if t.id not in ended]
        left = [c for c in carried if c.spec.id not in ended]
        if len(group) + len(carried) == 1:
            yield from (failed(t, exc) for t in [*unfinished, *(c.spec for c in left)])
            return
        for trial in unfinished:
            yield from run_group([trial], data, options, resume)
        for state in left:
            yield from run_group([], data, options, resume, carried=[state])


def monitors_for(options: TrainOptions) -> list[Callback]:
    """Fresh callbacks for one trial: the setup check (always: it refuses heads that cannot
    work before any step) and the runtime monitors unless the study turned them off."""
    monitors = build_monitors(options.stop_on) if options.monitors else []
    return [SetupCheck(options.stop_on), *monitors]


def resume_epochs(resume: Mapping[str, bytes]) -> dict[str, int]:
    """The epoch each resumable trial continues after (groups need equal epochs)."""
    return {trial_id: load_checkpoint(blob).epoch for trial_id, blob in resume.items()}
