"""The stop policy: which finding codes end a trial (`--stop-on nan,diverged`).

A name is a full code (`train.nan_loss`), the part after the area (`nan_loss`, `diverged`),
or an alias for a family (`nan`: any non-finite loss or gradient). Unknown names are errors
with a suggestion, so a typo never silently disables a stop.
"""

from __future__ import annotations

from collections.abc import Iterable

from optbench.core.errors import ConfigError
from optbench.core.registry import suggest
from optbench.diagnose.codes import CODES

ALIASES: dict[str, tuple[str, ...]] = {
    "nan": ("train.nan_loss", "train.nonfinite_grad"),
    "nonfinite": ("train.nan_loss", "train.nonfinite_grad"),
    "inf": ("train.nan_loss", "train.nonfinite_grad"),
}


def resolve_stop_on(names: Iterable[str]) -> frozenset[str]:
    """The full codes that `names` stand for; every unknown name is reported at once.

    >>> sorted(resolve_stop_on(["nan", "diverged"]))
    ['train.diverged', 'train.nan_loss', 'train.nonfinite_grad']
    """
    codes: set[str] = set()
    problems = []
    for raw in names:
        name = raw.strip().lower()
        matched = _codes_for(name)
        if matched:
            codes.update(matched)
        else:
            known = [*CODES.names(), *ALIASES, *(info.short for info in CODES)]
            problems.append(
                f"Unknown finding code '{raw}' in stop_on.{suggest(name, known)} "
                f"Known: {', '.join(CODES.names())} (or the part after the dot, or "
                f"{', '.join(ALIASES)})."
            )
    if problems:
        raise ConfigError.collect(problems, source="stop_on")
    return frozenset(codes)


def _codes_for(name: str) -> tuple[str, ...]:
    if name in ALIASES:
        return ALIASES[name]
    if name in CODES:
        return (name,)
    return tuple(info.code for info in CODES if info.short == name)
