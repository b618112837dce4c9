"""A study's plain settings, each declared once: type, default, help and check together.

`StudySpec` declares each of its plain fields with `setting(...)`; from that one line come
the study file's validation (plan/study_file.py: every problem collected, one message form),
`optbench compare`'s option of the same name (cli/settings_options.py: flag, type, default
and help) and the study file written back (core/study_toml.py writes the spec's fields).
Sections with structure of their own (dataset, model, optimizers, heads, reference) keep
their parsers, built from the same checks. No torch here: the CLI's help needs this module.

>>> Integer(1, 10)("epochs", 0)
(None, '`epochs` must be between 1 and 10. Received: epochs=0')
>>> Choice("local", "ray")("executor", "rya")[1]
"`executor` must be one of local, ray. Received: executor='rya' Did you mean 'ray'?"
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import Field, dataclass, field, fields
from typing import Any

from optbench.core.registry import suggest

Checked = tuple[Any, str | None]  # (the value, or None when it is wrong; the problem)


class Check:
    """A setting's check: `check(key, value, prefix)` → (value, problem or None). `text` is
    the type an option's text becomes before the check sees it (a list's `from_text`)."""

    text: type = str

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        raise NotImplementedError

    def from_text(self, text: str) -> Any:
        """An option's text as the study file would hold it."""
        return text

    def to_text(self, value: Any) -> str:
        return str(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Integer(Check):
    low: int
    high: int
    text = int

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        if not _is_int(value):
            return None, f"`{prefix}{key}` must be an integer. Received: {key}={value!r}"
        if not self.low <= value <= self.high:
            return None, (
                f"`{prefix}{key}` must be between {self.low} and {self.high}. "
                f"Received: {key}={value}"
            )
        return value, None


@dataclass(frozen=True)
class Number(Check):
    low: float
    high: float
    text = float

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        if not _is_number(value) or not self.low <= value <= self.high:
            return None, (
                f"`{prefix}{key}` must be a number in [{self.low:g}, {self.high:g}]. "
                f"Received: {key}={value!r}"
            )
        return float(value), None


@dataclass(frozen=True)
class Typed(Check):
    """A value of one Python type: str or bool."""

    kind: type

    @property
    def text(self) -> type:  # type: ignore[override]
        return self.kind

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        if isinstance(value, self.kind) and (self.kind is bool or not isinstance(value, bool)):
            return value, None
        return None, f"`{prefix}{key}` must be {self.kind.__name__}. Received: {key}={value!r}"


class Choice(Check):
    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        if isinstance(value, str) and value in self.choices:
            return value, None
        named = ", ".join(c or "'' (none)" for c in self.choices)
        return None, (
            f"`{prefix}{key}` must be one of {named}. Received: {key}={value!r}"
            f"{suggest(str(value), self.choices)}"
        )


@dataclass(frozen=True)
class ListOf(Check):
    """A list of numbers (a single one is a list of one), each passing `item`; `rule` says
    what the list must be. Options write them comma separated."""

    rule: str  # "must be a non-empty list of …"
    item: Callable[[Any], bool]
    convert: Callable[[Any], Any]
    min_items: int = 1
    unique: bool = False

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        items = [value] if _is_number(value) else value
        if not (
            isinstance(items, list)
            and len(items) >= self.min_items
            and all(self.item(v) for v in items)
        ):
            return None, f"`{prefix}{key}` {self.rule}. Received: {key}={value!r}"
        if self.unique and len(set(items)) != len(items):
            return None, f"`{prefix}{key}` has duplicates. Received: {key}={value!r}"
        return tuple(self.convert(v) for v in items), None

    def from_text(self, text: str) -> Any:
        """`0,1,2` → [0, 1, 2]; a ValueError when a part is not a number."""
        return [self.convert(p.strip()) for p in text.split(",") if p.strip()]

    def to_text(self, value: Any) -> str:
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)


@dataclass(frozen=True)
class Codes(Check):
    """Finding codes (`train.nan_loss`) or their last part (`diverged`): a list, or one string
    of comma-separated codes."""

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, (
                f"`{prefix}{key}` must be a list of finding codes. Received: {key}={value!r}"
            )
        return tuple(value), None

    def to_text(self, value: Any) -> str:
        return ",".join(value)


@dataclass(frozen=True)
class Device(Check):
    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        ok = isinstance(value, str) and (
            value in ("cpu", "cuda", "mps") or (value.startswith("cuda:") and value[5:].isdigit())
        )
        if not ok:
            return None, (
                f"`{prefix}{key}` must be cpu, cuda, cuda:N or mps. Received: {key}={value!r}"
            )
        return value, None


@dataclass(frozen=True)
class Optional(Check):
    """`inner`, or None (absent): an option that is not given leaves the setting unset."""

    inner: Check

    @property
    def text(self) -> type:  # type: ignore[override]
        return self.inner.text

    def __call__(self, key: str, value: Any, prefix: str = "") -> Checked:
        return (None, None) if value is None else self.inner(key, value, prefix)


@dataclass(frozen=True)
class Setting:
    """How one field is checked and described, and whether `compare` has an option for it
    (named after the field: `--batch-size`, and `--stack/--no-stack` for a bool)."""

    help: str
    check: Check
    option: bool


SETTING = "optbench.setting"


def setting(default: Any, help: str, check: Check, *, option: bool = False) -> Any:
    """A dataclass field declared as a study setting (see the module docstring)."""
    return field(default=default, metadata={SETTING: Setting(help, check, option)})


def settings_of(cls: type) -> dict[str, tuple[Field[Any], Setting]]:
    """Field name → (its dataclass field, its Setting), in declaration order."""
    return {f.name: (f, f.metadata[SETTING]) for f in fields(cls) if SETTING in f.metadata}


def check_settings(
    cls: type, raw: dict[str, Any], problems: list[str], prefix: str = ""
) -> dict[str, Any]:
    """Every setting of `cls` from `raw` (its default when absent or wrong), problems added."""
    values: dict[str, Any] = {}
    for name, (spec_field, declared) in settings_of(cls).items():
        default = spec_field.default
        if name not in raw:  # a declared default is valid by construction
            values[name] = default
            continue
        value, problem = declared.check(name, raw[name], prefix)
        if problem:
            problems.append(problem)
        values[name] = default if problem else value
    return values


def positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def positive_int(value: Any) -> bool:
    return _is_int(value) and value > 0


def seed(value: Any) -> bool:
    return _is_int(value) and 0 <= value < 2**31


def unknown_keys(
    table: dict[str, Any], known: Sequence[str], prefix: str, problems: list[str], hint: str = ""
) -> None:
    """A problem for every key of `table` not in `known`, with the likeliest one meant (and
    `hint`, where the key may have been meant to go)."""
    for key in table:
        if key not in known:
            problems.append(
                f"Unknown key `{prefix}{key}`.{suggest(key, known)} Known: {', '.join(known)}."
                + (f" {hint}" if hint else "")
            )
