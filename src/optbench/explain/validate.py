"""Input checks for the explainer: every problem is collected and raised once (ConfigError)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from optbench.core.errors import ConfigError
from optbench.explain.activation import ACTIVATIONS, Activation
from optbench.explain.loss import LOSSES, Loss

SOURCE = "explain input"


def check_common(
    problems: list[str], *, x: Sequence[float], y: float, lr: float, steps: int
) -> None:
    """Checks shared by the neuron and the net: inputs, target, learning rate, step count."""
    if len(x) == 0:
        problems.append(f"`x` must hold at least one input. Received: x={tuple(x)}")
    check_finite(problems, "x", x)
    check_finite(problems, "y", [y])
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        problems.append(f"`lr` must be > 0. Received: lr={lr}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        problems.append(f"`steps` must be an integer >= 1. Received: steps={steps}")


def check_finite(problems: list[str], name: str, values: Sequence[float]) -> None:
    """Every value must be a finite number (no NaN, no inf)."""
    bad = [v for v in values if not (isinstance(v, int | float) and math.isfinite(v))]
    if bad:
        problems.append(f"`{name}` must hold finite numbers. Received: {name}={tuple(values)}")


def check_length(problems: list[str], name: str, values: Sequence[float], n: int, per: str) -> None:
    """`values` must hold exactly `n` numbers, one per `per` (input, hidden unit)."""
    if len(values) != n:
        problems.append(
            f"`{name}` must hold one value per {per} ({n}). "
            f"Received: {name}={tuple(values)} with {len(values)}"
        )


def lookup_activation(problems: list[str], name: str) -> Activation | None:
    """The activation, or None after recording 'Unknown activation … Did you mean …?'."""
    try:
        return ACTIVATIONS.get(name)
    except ConfigError as exc:
        problems.append(str(exc))
        return None


def lookup_loss(problems: list[str], name: str, y: float) -> Loss | None:
    """The loss, or None after recording why not; cross-entropy also needs 0 <= y <= 1."""
    try:
        loss = LOSSES.get(name)
    except ConfigError as exc:
        problems.append(str(exc))
        return None
    if loss.needs_probability and not 0.0 <= y <= 1.0:
        problems.append(f"`y` must be in [0, 1] for {loss.title}. Received: y={y}")
    return loss


def raise_if(problems: list[str]) -> None:
    """Raise one ConfigError listing every problem, if there are any."""
    if problems:
        raise ConfigError.collect(problems, source=SOURCE)


def check_output(loss: Loss, activation: str, a: float, step: int) -> None:
    """Cross-entropy is only defined for outputs strictly between 0 and 1."""
    if loss.needs_probability and not 0.0 < a < 1.0:
        raise ConfigError(
            f"{loss.title.capitalize()} needs the output a in (0, 1), but step {step} gave "
            f"a={a:g} (activation '{activation}'). Use activation 'sigmoid', or loss 'se'."
        )


def check_step_finite(values: dict[str, float], step: int, lr: float) -> None:
    """Stop with a clear message when a step overflows (usually: learning rate too large)."""
    bad = sorted(k for k, v in values.items() if not math.isfinite(v))
    if bad:
        raise ConfigError(
            f"Step {step} produced non-finite values ({', '.join(bad)}); the updates diverged. "
            f"Lower the learning rate. Received: lr={lr}"
        )
