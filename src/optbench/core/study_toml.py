"""A study in study-file form (TOML), from its stored dict: written once, for `config.toml`
(plan.study_to_toml) and the report's configuration section alike. No torch here."""

from __future__ import annotations

from typing import Any

import tomli_w

# The keys a study file's [model] table takes beside `factory`, and [dataset] beside `loader`.
FACTORY_KEYS = ("factory", "kwargs", "init", "name")
LOADER_KEYS = ("loader", "kwargs", "name", "train_size", "test_size")


def study_dict_to_toml(study: dict[str, Any]) -> str:
    """`StudySpec.to_dict()` (or the store's JSON of it) as a study file that runs it again."""
    raw = dict(study)
    raw["dataset"] = _dataset(dict(raw.get("dataset", {})))
    raw["model"] = _model(dict(raw.get("model", {})))
    raw.pop("loss_source", None)  # recomputed from the loss file when the study is read
    raw["optimizers"] = [
        {"name": o["name"], "profile": o["profile"], **o["hparams"]}
        for o in raw.get("optimizers", [])
    ]
    if raw.get("reference") is not None:
        raw["reference"] = reference_to_table(raw["reference"])
    return tomli_w.dumps(_drop_none(raw))


def _dataset(dataset: dict[str, Any]) -> dict[str, Any]:
    options = dataset.pop("options", None) or {}
    if dataset.get("loader"):  # the loader's arguments, as the study file writes them
        return {**{k: dataset[k] for k in LOADER_KEYS if dataset.get(k) is not None},
                "kwargs": options}  # fmt: skip
    dataset.pop("loader", None)
    dataset.pop("source", None)
    return {**dataset, **options}


def _model(model: dict[str, Any]) -> dict[str, Any]:
    if model.get("factory"):
        table = {k: model[k] for k in FACTORY_KEYS if k != "kwargs" and k in model}
        return {**table, "kwargs": dict(model.get("kwargs") or ())}
    for key in ("factory", "kwargs", "source"):
        model.pop(key, None)
    return model


def reference_to_table(reference: dict[str, Any]) -> dict[str, Any]:
    """A stored reference (`StudySpec.to_dict()` form) back in study-file form."""
    table: dict[str, Any] = {"source": reference["source"]}
    if reference.get("url"):
        table["url"] = reference["url"]
    if reference.get("conditions"):
        table["conditions"] = dict(reference["conditions"])
    table["results"] = {
        r["group"]: {**r["metrics"], **({"note": r["note"]} if r.get("note") else {})}
        for r in reference["results"]
    }
    return table


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value
