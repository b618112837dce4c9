"""Which code a study file would import: optimizers given as `module.path:Class`.

Loading such a study imports that module, which runs its code with your rights. `optbench
doctor` says so before it loads the study (the study file may come from someone else).
"""

from __future__ import annotations

from typing import Any

from optbench.core.errors import OptbenchError
from optbench.optim import parse_optimizer
from optbench.optim.user import is_import_path


def import_paths(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(`optimizers[i]`, `module.path:Class`) for each optimizer of a raw study given by
    import path, in the order the study lists them."""
    items = raw.get("optimizers")
    if not isinstance(items, list):
        return []
    found = []
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else item
        path = _import_path(name) if isinstance(name, str) else None
        if path:
            found.append((f"optimizers[{i}]", path))
    return found


def _import_path(text: str) -> str | None:
    """`mypkg.optim:Lion:lr=1e-4` → `mypkg.optim:Lion`; None for a registry name (parsing
    imports nothing; a malformed text is left to the study's validation)."""
    try:
        name = parse_optimizer(text).name
    except OptbenchError:
        return None
    return name if is_import_path(name) else None
