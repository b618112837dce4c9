"""Command-line options made from the study's settings (core/settings.py), not written again.

`with_settings(command, names)` gives a command one option per named setting of StudySpec:
`--batch-size` for `batch_size`, `--stack/--no-stack` for a bool, its help and default from
the declaration. The command receives them as keyword arguments holding what the study file
would (a list for `--seeds 0,1,2`), and only those the user gave when `overrides` is set.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import typer

from optbench.core.errors import ConfigError
from optbench.core.settings import Check, ListOf, Optional, settings_of
from optbench.core.specs import StudySpec

SETTINGS = settings_of(StudySpec)


def with_settings(
    command: Callable[..., None],
    names: Sequence[str],
    *,
    overrides: bool = False,
    defaults: Mapping[str, Any] | None = None,
) -> Callable[..., None]:
    """`command` with the named settings' options added after its own parameters. Without
    `overrides` every setting arrives (its default, or the command's own in `defaults`, when
    not given); with it, only the given ones (the rest are the study file's)."""
    hints = typing.get_type_hints(command)
    own = [
        p.replace(annotation=hints[p.name])
        for p in inspect.signature(command).parameters.values()
        if p.name != "settings"
    ]
    options = [_parameter(name, overrides, (defaults or {}).get(name)) for name in names]

    def run(**given: Any) -> None:
        settings = {name: given.pop(name) for name in names}
        if overrides:
            settings = {k: v for k, v in settings.items() if v is not None}
        command(**given, settings={k: _study_value(k, v) for k, v in settings.items()})

    run.__signature__ = inspect.Signature(own + options)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in own + options}
    run.__doc__, run.__name__ = command.__doc__, command.__name__
    return run


def _parameter(name: str, overrides: bool, default: Any) -> inspect.Parameter:
    spec_field, declared = SETTINGS[name]
    check = _inner(declared.check)
    flag = name.replace("_", "-")
    decls = [f"--{flag}/--no-{flag}"] if check.text is bool else [f"--{flag}"]
    if default is None:
        default = None if overrides else _shown(spec_field.default, check)
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(default, *decls, help=declared.help),
        annotation=check.text if default is not None else typing.Optional[check.text],  # noqa: UP045
    )


def _inner(check: Check) -> Check:
    return check.inner if isinstance(check, Optional) else check


def _shown(default: Any, check: Check) -> Any:
    """The default as the option writes it (`0` for seeds (0,))."""
    if default is None or isinstance(default, check.text):
        return default
    return check.to_text(default)


def _study_value(name: str, value: Any) -> Any:
    """An option's value as the study file would hold it (`0,1` → [0, 1])."""
    check = _inner(SETTINGS[name][1].check)
    if not isinstance(value, str) or not isinstance(check, ListOf):
        return value
    try:
        return check.from_text(value)
    except ValueError:
        flag = "--" + name.replace("_", "-")
        raise ConfigError(f"{flag} must be a comma list of numbers. Received: {value!r}") from None
