"""The CLI: one module per command, each exposing `register(app)`."""

from __future__ import annotations

from types import ModuleType


def _modules() -> list[ModuleType]:
    modules: list[ModuleType] = []
    return modules


COMMAND_MODULES = _modules()
