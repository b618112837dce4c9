"""The CLI: one module per command group, each exposing `register(app)`."""

from __future__ import annotations

from types import ModuleType


def _modules() -> list[ModuleType]:
    from optbench.cli import (
        browse_cmd,
        doctor_cmd,
        explain_cmd,
        heads_cmd,
        landscape_cmd,
        optimizers_cmd,
        report_cmd,
        study_cmd,
        verify_cmd,
    )

    return [
        study_cmd,
        heads_cmd,
        doctor_cmd,
        report_cmd,
        browse_cmd,
        optimizers_cmd,
        landscape_cmd,
        explain_cmd,
        verify_cmd,
    ]


COMMAND_MODULES = _modules()
