"""The public Python API: the same operations as the CLI, without argv or printing.

>>> import optbench
>>> study = optbench.parse_study({"dataset": "digits", "optimizers": ["adam", "sgd"],
...                               "epochs": 2, "name": "demo"})
>>> [t.group for t in optbench.expand(study)]
['adam', 'sgd']
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optbench.core.errors import OptbenchError
from optbench.core.imports import is_reference
from optbench.core.paths import default_cache_dir
from optbench.core.specs import StudySpec
from optbench.driver import Progress, StudyOutcome
from optbench.driver import run_study as _run_study
from optbench.plan import expand as expand  # re-exported: optbench.expand
from optbench.plan import load_study_file, parse_study, study_folder, study_to_toml
from optbench.report import StudyView, open_study, summary_rows, tidy_rows, write_report
from optbench.report.catalog import DEFAULT_RUNS_DIR
from optbench.store.folder import check_writable, folder_error
from optbench.verification import TrialCheck, verify_study


def run_study(
    study: StudySpec | dict[str, Any] | str | Path,
    out: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> StudyOutcome:
    """Run (or resume) a study given as a StudySpec, a raw dict, or a TOML file path.

    Results go to `out` (default `runs/<study name>/`): study.sqlite, tb/, figures/,
    report.md and config.toml. Finished trials of an earlier run of the same study are skipped.
    """
    spec = load_study(study)
    folder = Path(out) if out is not None else study_folder(DEFAULT_RUNS_DIR, spec.name)
    return _run_study(spec, folder, _cache(cache_dir), progress)


def _cache(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else default_cache_dir()


def compare(
    *,
    data: Any,
    optimizers: Sequence[Any] = ("adam", "adagrad", "rmsprop"),
    model: Any = "mlp:128",
    task: str = "classification",
    loss: Any = None,
    epochs: int = 10,
    seeds: Sequence[int] = (0,),
    batch_size: int = 64,
    out: str | Path | None = None,
    name: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    **settings: Any,
) -> Comparison:
    """Compare optimizers on your model, data and task, fairly; the notebook form of the CLI.

    `model`: a built-in (`"mlp:128"`, `"convnet"`), a factory reference (`"nets.py:build"`,
    `"mypkg.nets:build"`) or the factory function itself, called as
    `build(input_shape, num_outputs, **kwargs)`; `{"factory": …, "kwargs": {…}}` passes
    arguments. `data`: a dataset name (`"fashion-mnist"`), a loader reference, or the loader
    function (see optbench.data.loader for what it returns). `loss`: one of the task's
    losses, or your own function. Any other study setting (`profile`, `tune`, `workers`, …)
    goes in `settings`. Results go to `out` (default `runs/<name>/`): the same store, report
    and TensorBoard logs as `optbench compare`.
    """
    raw: dict[str, Any] = {
        "name": name or _name_of(data, optimizers),
        "dataset": _data_table(data),
        "model": _model_table(model),
        "optimizers": list(optimizers),
        "task": task,
        "epochs": epochs,
        "seeds": list(seeds),
        "batch_size": batch_size,
        **settings,
    }
    if loss is not None:
        raw["loss"] = loss
    outcome = run_study(raw, out, cache_dir=cache_dir, progress=progress)
    return Comparison(outcome.folder, outcome)


def _data_table(data: Any) -> Any:
    if isinstance(data, dict):
        return data
    if callable(data) or (isinstance(data, str) and is_reference(data)):
        return {"loader": data}
    return data


def _model_table(model: Any) -> Any:
    if isinstance(model, dict):
        return model
    if callable(model) and not isinstance(model, str):
        return {"factory": model}
    return model


def _name_of(data: Any, optimizers: Sequence[Any]) -> str:
    if isinstance(data, dict):
        data = data.get("name") or data.get("loader", "data")
    label = getattr(data, "__name__", None) or str(data).rpartition(":")[2] or "data"
    short = [str(o).split(":")[0].rsplit(".", 1)[-1] for o in optimizers]
    return "-".join([label, *short])[:80]


@dataclass(frozen=True)
class Comparison:
    """A finished (or resumed) comparison: its folder, and its results in the forms a notebook
    wants."""

    folder: Path
    outcome: StudyOutcome

    @property
    def report(self) -> Path:
        return self.outcome.report

    def view(self) -> StudyView:
        return open_study(self.folder)

    def to_pandas(self) -> Any:
        """A tidy frame: one row per trial × epoch, with the task's metrics as columns
        (`train/loss`, `val/acc` or `val/r2` or `val/perplexity`, …). Needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise OptbenchError(
                "to_pandas() needs pandas, which optbench does not install: pip install pandas"
            ) from None
        return pd.DataFrame(tidy_rows(self.view()))

    def summary(self) -> list[dict[str, Any]]:
        """Per optimizer: seeds finished and the final metrics' means and 95% intervals."""
        return summary_rows(self.view())

    def plot(self) -> Path:
        """The overlaid training curves (every optimizer), as the report draws them."""
        return self.folder / "figures" / "curves-all.png"


def load_study(
    study: StudySpec | dict[str, Any] | str | Path, overrides: dict[str, Any] | None = None
) -> StudySpec:
    """A validated StudySpec from a spec, a raw dict or a TOML study file. `overrides`
    replace keys of a dict or file before validation (flags such as --executor)."""
    if isinstance(study, StudySpec) and not overrides:
        return study
    if isinstance(study, StudySpec):
        return parse_study({**tomllib.loads(study_to_toml(study)), **(overrides or {})})
    if isinstance(study, dict):
        return parse_study({**study, **(overrides or {})})
    return load_study_file(Path(study), overrides)


def verify(
    folder: str | Path,
    *,
    trials: int | None = None,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> list[TrialCheck]:
    """Retrain a study's trials (all, or a seeded sample of `trials`) from scratch and check
    each epoch and the final weights against the store (see optbench.verification)."""
    return verify_study(Path(folder), _cache(cache_dir), trials, seed)


def report(folder: str | Path) -> Path:
    """Regenerate report.md and figures of a study from its store alone."""
    view = open_study(folder)
    check_writable(Path(folder))  # read-only media: said before the figures are drawn
    try:
        return write_report(view, Path(folder))
    except OSError as exc:  # a full disk
        raise folder_error(Path(folder), exc) from exc
