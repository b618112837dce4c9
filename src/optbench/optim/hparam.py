"""Hyperparameter checks: one rule per torch.optim name, Keras-style messages.

Every rule both validates and normalises (ints become floats, lists of betas become tuples), so
two specs that mean the same thing resolve to the same dict and hash to the same trial id.
Messages follow Keras: "`lr` must be > 0. Received: lr=-0.1".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["float", "bool", "pair"]


@dataclass(frozen=True)
class Bound:
    """A numeric range; `text` is what the error message says the value must be."""

    low: float
    high: float | None = None
    low_open: bool = False
    high_open: bool = True

    def holds(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        if self.high is None:
            return above
        below = x < self.high if self.high_open else x <= self.high
        return above and below

    @property
    def text(self) -> str:
        if self.high is None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    bound: Bound | None = None


POSITIVE = Bound(0.0, low_open=True)
NON_NEGATIVE = Bound(0.0)
UNIT = Bound(0.0, 1.0)  # [0, 1): decay rates; 1 would freeze the average forever

RULES: dict[str, Rule] = {
    "lr": Rule("float", POSITIVE),
    "eps": Rule("float", NON_NEGATIVE),
    "weight_decay": Rule("float", NON_NEGATIVE),
    "momentum": Rule("float", UNIT),
    "dampening": Rule("float", Bound(0.0, 1.0, high_open=False)),
    "alpha": Rule("float", UNIT),
    "rho": Rule("float", UNIT),
    "betas": Rule("pair", UNIT),
    "lr_decay": Rule("float", NON_NEGATIVE),
    "initial_accumulator_value": Rule("float", NON_NEGATIVE),
    "momentum_decay": Rule("float", NON_NEGATIVE),
    "trust_coefficient": Rule("float", POSITIVE),
    "nesterov": Rule("bool"),
    "centered": Rule("bool"),
    "amsgrad": Rule("bool"),
}


def show(name: str, value: Any) -> str:
    """`name=value` as Keras prints it in "Received: lr=-0.1"."""
    if isinstance(value, str):
        return f"{name}={value!r}"
    return f"{name}={value}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_float(name: str, value: Any, bound: Bound | None) -> tuple[Any, str | None]:
    if not _is_number(value) or not math.isfinite(value):
        return value, f"`{name}` must be a finite number. Received: {show(name, value)}"
    if bound is not None and not bound.holds(value):
        return value, f"`{name}` must be {bound.text}. Received: {show(name, value)}"
    return float(value), None


def _check_bool(name: str, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, bool):
        return value, f"`{name}` must be true or false. Received: {show(name, value)}"
    return value, None


def _check_pair(name: str, value: Any, bound: Bound) -> tuple[Any, str | None]:
    ok = isinstance(value, tuple | list) and len(value) == 2 and all(map(_is_number, value))
    if not ok:
        example = f"{name}=0.9,0.999"
        return value, (
            f"`{name}` must be two numbers {bound.text}, e.g. {example}. "
            f"Received: {show(name, value)}"
        )
    pair = (float(value[0]), float(value[1]))
    for i, x in enumerate(pair):
        if not (math.isfinite(x) and bound.holds(x)):
            return pair, f"`{name}[{i}]` must be {bound.text}. Received: {show(name, pair)}"
    return pair, None


def check_hparam(name: str, value: Any) -> tuple[Any, str | None]:
    """(normalised value, problem or None). Names without a rule pass through unchanged."""
    rule = RULES.get(name)
    if rule is None:
        return value, None
    if rule.kind == "bool":
        return _check_bool(name, value)
    if rule.kind == "pair":
        assert rule.bound is not None
        return _check_pair(name, value, rule.bound)
    return _check_float(name, value, rule.bound)


def check_hparams(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Normalise every value and list every problem (all at once, so users fix them in one go)."""
    out: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in values.items():
        out[name], problem = check_hparam(name, value)
        if problem:
            problems.append(problem)
    if not problems:
        problems.extend(check_combination(out))
    return out, problems


def check_combination(values: dict[str, Any]) -> list[str]:
    """Rules that involve two hyperparameters (torch.optim's SGD refuses these too)."""
    if not values.get("nesterov"):
        return []
    problems = []
    if values.get("momentum", 0.0) <= 0:
        problems.append(
            "`nesterov=True` needs momentum > 0. "
            f"Received: {show('momentum', values.get('momentum', 0.0))}"
        )
    if values.get("dampening", 0.0) != 0:
        received = show("dampening", values["dampening"])
        problems.append(f"`nesterov=True` needs dampening = 0. Received: {received}")
    return problems


def is_candidate_list(value: Any, default: Any) -> bool:
    """Is `value` a list of grid candidates (TOML `lr = [1e-3, 1e-2]`) rather than one value?

    For tuple-valued hyperparameters (default is a tuple, e.g. betas) a flat list of numbers is
    ONE value and only a list of lists is a grid; for all others any list is a grid.
    """
    if not isinstance(value, list):
        return False
    if isinstance(default, tuple | list):
        return any(isinstance(v, tuple | list) for v in value)
    return True


def raise_value_error(values: dict[str, Any]) -> dict[str, Any]:
    """For optimizer classes: check their constructor arguments like torch.optim does."""
    checked, problems = check_hparams(values)
    if problems:
        raise ValueError(" ".join(problems))
    return checked
