"""`optbench verify`: retrain a study's trials from scratch and compare, epoch by epoch.

A trial's numbers are a function of its spec and its numerics configuration (engine/env.py),
so retraining it must give its stored metrics and final weights bit for bit. Each checked
trial ends as one of:
  * `match` — every epoch's metrics and the final weights' fingerprint are equal;
  * `mismatch` — the first epoch and metric that differ (or the final weights), or a stored
    digest that its own stored rows no longer give (an edited store);
  * `other numerics` — this machine trains it under another numerics configuration (another
    torch, CPU, step path…): named, and not counted as a mismatch.
Retraining happens in this process tree (a pool of worker processes), writing nothing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from optbench.core.digest import DIGEST_METRICS, exact, trial_digest
from optbench.core.errors import ConfigError, StoreError
from optbench.core.paths import checked_path
from optbench.core.specs import EpochRecord, StudySpec, TrialResult, TrialSpec, TrialStarted
from optbench.data import load_dataset
from optbench.engine import TrainOptions, available_cores
from optbench.executors import RunRequest, dataset_key, get_executor
from optbench.store import Store

Verdict = Literal["match", "mismatch", "other numerics"]
# Entries of the numerics configuration added since a store may have been written, with the
# value every trial had before: a trial stored without `update` ran its optimizer's plain rule.
NUMERICS_BEFORE = {"update": "plain"}


@dataclass(frozen=True)
class TrialCheck:
    trial_id: str
    label: str
    verdict: Verdict
    detail: str  # what differs, or which numerics
    digest: str | None  # as stored


@dataclass
class _Stored:
    """A finished trial as the store has it."""

    spec: TrialSpec
    label: str
    rows: list[dict[str, Any]]
    final_fingerprint: str | None
    digest: str | None
    numerics: dict[str, Any] | None


def verify_study(
    folder: Path, cache_dir: Path, trials: int | None = None, seed: int = 0
) -> list[TrialCheck]:
    """Retrain the study's finished trials (all, or a sample of `trials` drawn with `seed`)
    and check each against the store."""
    study, stored = _read(folder)
    chosen = _sample(stored, trials, seed)
    if not chosen:
        raise StoreError(f"The study in {folder} has no finished trial to verify yet.")
    events = _retrain(study, [stored[i] for i in chosen], stored, cache_dir)
    return [_check(stored[i], events.get(i, [])) for i in chosen]


def _read(folder: Path) -> tuple[StudySpec, dict[str, _Stored]]:
    path = checked_path(folder, "study folder") / "study.sqlite"
    if not path.is_file():
        raise StoreError(f"No study in {folder}: {path.name} is missing.")
    store = Store(path, readonly=True)
    try:
        raw = store.get_meta("study")
        if raw is None:
            raise StoreError(f"{path} holds no study description; it cannot be retrained.")
        study = StudySpec.from_dict(json.loads(raw))
        stored = {
            row["id"]: _Stored(
                TrialSpec.from_dict(row["spec"]),
                row["label"],
                store.epochs(row["id"]),
                row["final_fingerprint"],
                row.get("digest"),
                row["env"].get("numerics"),
            )
            for row in store.trials()
            if row["status"] in ("finished", "stopped")
        }
    finally:
        store.close()
    return study, stored


def _sample(stored: Mapping[str, _Stored], trials: int | None, seed: int) -> list[str]:
    ids = list(stored)
    if trials is None or trials >= len(ids):
        return ids
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1. Received: --trials {trials}")
    picked = set(random.Random(seed).sample(ids, trials))
    return [i for i in ids if i in picked]  # in the study's order


def _retrain(
    study: StudySpec,
    chosen: Sequence[_Stored],
    stored: Mapping[str, _Stored],
    cache_dir: Path,
) -> dict[str, list[object]]:
    """Every event of the chosen trials, retrained with the study's options (a reuse_model
    chain retrains the links before them too, in order, in this process)."""
    trials = _with_ancestors([s.spec for s in chosen], stored)
    base = replace(trials[0].dataset, holdout=None)  # a search's holdout is carved from it
    data = load_dataset(base, cache_dir, task=trials[0].task)
    chain = study.reuse_model
    workers = 1 if chain else max(1, min(available_cores(), len(trials)))
    options = TrainOptions(
        histogram_freq=0,  # histograms change no number
        monitors=study.monitors,  # the stop policy can end a trial: same monitors, same end
        stop_on=study.stop_on,
        stack=study.stack and not chain,
        native=study.native,
        checkpoint_every=1 if chain else 0,  # a chain's next link starts from the last one
    )
    request = RunRequest(trials, options, cache_dir, {dataset_key(base): data})
    events: dict[str, list[object]] = {}
    for event in get_executor("local", workers).run(request):
        events.setdefault(event.trial_id, []).append(event)
    return events


def _with_ancestors(specs: list[TrialSpec], stored: Mapping[str, _Stored]) -> list[TrialSpec]:
    """`specs` and the trials their weights start from (reuse_model), each link first."""
    out: list[TrialSpec] = []
    for spec in specs:
        chain = [spec]
        while chain[-1].init_from is not None:
            parent = stored.get(chain[-1].init_from)
            if parent is None:
                raise StoreError(
                    f"Trial {spec.id} continues trial {chain[-1].init_from}, which did not "
                    "finish: it cannot be retrained."
                )
            chain.append(parent.spec)
        out += [t for t in reversed(chain) if t not in out]
    return out


def _check(stored: _Stored, events: Iterable[object]) -> TrialCheck:
    def check(verdict: Verdict, detail: str) -> TrialCheck:
        return TrialCheck(stored.spec.id, stored.label, verdict, detail, stored.digest)

    events = list(events)
    started = next((e for e in events if isinstance(e, TrialStarted)), None)
    result = next((e for e in events if isinstance(e, TrialResult)), None)
    if stored.digest is not None:
        recomputed = trial_digest(stored.rows, stored.final_fingerprint)
        if recomputed != stored.digest:
            return check(
                "mismatch",
                f"the stored digest {stored.digest} does not match the stored epochs and "
                f"weights ({recomputed}): the store was edited or damaged",
            )
    if result is None or result.status == "failed":
        why = result.error if result is not None else "it produced no result"
        return check("mismatch", f"retraining failed: {why}")
    here = started.env.get("numerics") if started is not None else None
    was = {**NUMERICS_BEFORE, **stored.numerics} if stored.numerics is not None else None
    if was is not None and here is not None and here != was:
        return check("other numerics", _numerics_difference(was, here))
    records = [e for e in events if isinstance(e, EpochRecord)]
    detail = _first_difference(stored.rows, records)
    if detail is None and result.final_fingerprint != stored.final_fingerprint:
        detail = (
            f"final weights differ (fingerprint {stored.final_fingerprint} stored, "
            f"{result.final_fingerprint} now)"
        )
    if detail is not None:
        return check("mismatch", detail)
    return check("match", f"{len(records)} epochs and the final weights equal")


def _first_difference(rows: list[dict[str, Any]], records: list[EpochRecord]) -> str | None:
    now = {r["epoch"]: r for r in _rows(records)}
    before = {r["epoch"]: r for r in rows}
    for epoch in sorted(set(now) | set(before)):
        if epoch not in now or epoch not in before:
            where = "the store" if epoch not in before else "the retrained run"
            return f"epoch {epoch} is missing from {where}"
        was, is_ = _flat(before[epoch]), _flat(now[epoch])
        for metric in sorted(set(was) | set(is_), key=_order):
            a, b = was.get(metric), is_.get(metric)
            if exact(a) != exact(b):
                return f"epoch {epoch}: {metric} {a!r} stored, {b!r} now"
    return None


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {**{m: row[m] for m in DIGEST_METRICS}, **(row.get("metrics") or {})}


def _order(metric: str) -> tuple[int, str]:
    return (DIGEST_METRICS.index(metric), "") if metric in DIGEST_METRICS else (99, metric)


def _rows(records: Iterable[EpochRecord]) -> list[dict[str, Any]]:
    return [
        {"epoch": r.epoch, **{m: getattr(r, m) for m in DIGEST_METRICS}, "metrics": r.metrics}
        for r in records
    ]


def _numerics_difference(stored: Mapping[str, Any], here: Mapping[str, Any]) -> str:
    keys = sorted(set(stored) | set(here))
    parts = [
        f"{k} {stored.get(k, '—')} stored, {here.get(k, '—')} here"
        for k in keys
        if stored.get(k) != here.get(k)
    ]
    return "; ".join(parts)
