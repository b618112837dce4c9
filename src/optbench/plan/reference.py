"""The `[reference]` table of a study file: numbers reported elsewhere, with their conditions.

    [reference]
    source = "HW2 (Fall 2022), Q3: the Keras logs, final epoch"
    url = "…"                               # optional

    [reference.conditions]                  # how they were obtained; each that differs
    dataset = "mnist"                       # from the study is noted in the report
    scale = false
    reuse_model = true
    seeds = 1

    [reference.results.adagrad]             # one table per group of the study
    "train/acc" = 0.9881
    "val/acc" = 0.9648
    note = "…"                              # optional

Every problem is reported at once, like the rest of the study file; a result's group must be
one the study trains (its label in the report, e.g. `adam` or `adam(lr=0.01)`).
"""

from __future__ import annotations

from typing import Any

from optbench.core.registry import suggest
from optbench.core.settings import unknown_keys
from optbench.core.specs import ReferenceResult, ReferenceSpec

METRICS = ("train/loss", "train/acc", "val/loss", "val/acc")
CONDITIONS: dict[str, type] = {
    "dataset": str,
    "scale": bool,
    "reuse_model": bool,
    "seeds": int,
    "epochs": int,
    "batch_size": int,
    "profile": str,
}
_KEYS = ("source", "url", "conditions", "results")


def parse_reference(value: Any, problems: list[str]) -> ReferenceSpec | None:
    """The `[reference]` table as a ReferenceSpec (None when absent); problems appended."""
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"`reference` must be a table. Received: {value!r}")
        return None
    unknown_keys(value, _KEYS, "reference.", problems)
    source = value.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append("`reference.source` is required: say where the numbers come from.")
        source = ""
    url = value.get("url", "")
    if not isinstance(url, str):
        problems.append(f"`reference.url` must be a string. Received: url={url!r}")
        url = ""
    return ReferenceSpec(
        source=source,
        results=_results(value.get("results"), problems),
        conditions=_conditions(value.get("conditions", {}), problems),
        url=url,
    )


def _conditions(value: Any, problems: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        problems.append(f"`reference.conditions` must be a table. Received: {value!r}")
        return {}
    unknown_keys(value, tuple(CONDITIONS), "reference.conditions.", problems)
    conditions = {}
    for key, kind in CONDITIONS.items():
        if key not in value:
            continue
        item = value[key]
        if not isinstance(item, kind) or (kind is int and isinstance(item, bool)):
            problems.append(
                f"`reference.conditions.{key}` must be {kind.__name__}. Received: {key}={item!r}"
            )
            continue
        conditions[key] = item
    return conditions


def _results(value: Any, problems: list[str]) -> tuple[ReferenceResult, ...]:
    if not isinstance(value, dict) or not value:
        problems.append(
            "`reference.results` needs one table per group, e.g. "
            '[reference.results.adam] with "val/acc" = 0.95.'
        )
        return ()
    results = []
    for group, table in value.items():
        where = f"reference.results.{group}"
        if not isinstance(table, dict):
            problems.append(f"`{where}` must be a table of metrics. Received: {table!r}")
            continue
        unknown_keys(table, (*METRICS, "note"), f"{where}.", problems)
        metrics = {
            tag: _metric(table[tag], f"{where}.{tag}", problems) for tag in METRICS if tag in table
        }
        if not metrics:
            problems.append(f"`{where}` gives no metric; use any of {', '.join(METRICS)}.")
        note = table.get("note", "")
        if not isinstance(note, str):
            problems.append(f"`{where}.note` must be a string. Received: {note!r}")
            note = ""
        results.append(ReferenceResult(group, metrics, note))
    return tuple(results)


def _metric(value: Any, where: str, problems: list[str]) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    if ok and where.endswith("/acc") and value > 1:
        problems.append(f"`{where}` is a fraction in [0, 1] (0.95, not 95). Received: {value}")
    elif not ok:
        problems.append(f"`{where}` must be a number >= 0. Received: {value!r}")
    return float(value) if ok else 0.0


def check_groups(reference: ReferenceSpec | None, groups: list[str], problems: list[str]) -> None:
    """Each result must name a group the study trains (its label in the report)."""
    for result in reference.results if reference else ():
        if result.group not in groups:
            problems.append(
                f"`reference.results.{result.group}`: the study has no group "
                f"'{result.group}'.{suggest(result.group, groups)} Groups: {', '.join(groups)}."
            )
