"""Named worked examples; `seed-q2` is the hand-computed neuron of the seed homework (HW2 Q2).

What the scan shows: x = (1, −2), w₀ = 2, w₁ = 1, b = 2, so z = 2 and σ(z) = 0.8807970799;
L = 0.775803495 after the first forward pass and 0.7755038504 after the second; the first
update takes w₀ from 2 to 1.99973013510 with ∂L/∂w₀ = 0.2698747771. The loss is not legible,
but the numbers pin it down: L = a² in both steps (squared error with target y = 0), and
2 − η·0.26987 = 1.99973 gives η = 0.001. The scan's gradients do *not* follow from that loss
(the chain rule gives ∂L/∂b = 2a·a(1 − a) = 0.184956, not 0.269875); the example says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optbench.core.errors import ConfigError
from optbench.core.registry import Registry
from optbench.explain.explanation import Explanation
from optbench.explain.mlp import explain_mlp
from optbench.explain.neuron import explain_neuron
from optbench.explain.symbol import number

SEED_Q2: dict[str, Any] = {
    "x": (1.0, -2.0),
    "w": (2.0, 1.0),
    "b": 2.0,
    "y": 0.0,
    "activation": "sigmoid",
    "loss": "se",
    "lr": 0.001,
    "steps": 2,
}
# What the scan wrote for step 1 (its w₀, w₁ are w₁, w₂ here).
SEED_Q2_SCAN = {
    "z": 2.000000001884,
    "a": 0.8807970799,
    "L": 0.775803495,
    "dL/dw1": 0.2698747771,
    "dL/dw2": -0.5397495542,
    "dL/db": 0.2698747771,
}


@dataclass(frozen=True)
class Example:
    """A named worked example: its default arguments and how to build it."""

    name: str
    description: str
    defaults: dict[str, Any]
    build: Callable[[dict[str, Any]], Explanation]


def _seed_q2(args: dict[str, Any]) -> Explanation:
    expl = explain_neuron(**args, title="Seed HW2 Q2: one sigmoid neuron, by hand")
    first = expl.steps[0]
    notes = [
        "From the seed homework (Q2): x = (1, −2), w = (2, 1), b = 2, so z = 2 and "
        f"a = σ(2) = {first.value('a'):.4f}, as in the scan (its w₀, w₁ are w₁, w₂ here).",
    ]
    if all(args[k] == SEED_Q2[k] for k in ("y", "loss", "lr")):
        notes += [
            "The scan's loss is illegible. Assumed: squared error L = (y − a)² with target "
            "y = 0 and η = 0.001, because the scan's L = 0.775803 equals (0 − 0.880797)² and "
            "its first update moves w₀ from 2 to 1.99973 (= 2 − 0.001·0.26987).",
            "The scan's gradients do not follow from that loss: it wrote ∂L/∂w₀ = 0.269875, "
            "∂L/∂w₁ = −0.539750, ∂L/∂b = 0.269875; the chain rule gives "
            + ", ".join(number(first.grads[k], 6) for k in ("w1", "w2", "b"))
            + ".",
        ]
    else:
        notes.append(
            f"Loss, target and learning rate as given: {args['loss']}, y = {args['y']:g}, "
            f"η = {args['lr']:g} (the scan's own loss is illegible; it implies "
            "squared error with y = 0 and η = 0.001)."
        )
    return dataclasses.replace(expl, notes=tuple(notes))


def _tiny_mlp(args: dict[str, Any]) -> Explanation:
    return explain_mlp(**args, title="A 2-2-1 net, one step by hand")


EXAMPLES: Registry[Example] = Registry("example")
EXAMPLES.register(
    "seed-q2",
    Example(
        "seed-q2", "The seed homework's sigmoid neuron (HW2 Q2), two SGD steps.", SEED_Q2, _seed_q2
    ),
)
EXAMPLES.register(
    "tiny-mlp",
    Example(
        "tiny-mlp",
        "A 2-2-1 net (tanh hidden, sigmoid output, BCE), one SGD step.",
        {
            "x": (1.0, -2.0),
            "hidden_w": ((0.5, -0.3), (0.2, 0.8)),
            "hidden_b": (0.1, -0.1),
            "w": (1.5, -1.0),
            "b": 0.2,
            "y": 1.0,
            "activation": "sigmoid",
            "hidden_activation": "tanh",
            "loss": "bce",
            "lr": 0.1,
            "steps": 1,
        },
        _tiny_mlp,
    ),
)


def explain_example(name: str = "seed-q2", **overrides: Any) -> Explanation:
    """Build a named example, optionally overriding some of its arguments (e.g. `loss="bce"`)."""
    example = EXAMPLES.get(name)
    unknown = sorted(set(overrides) - set(example.defaults))
    if unknown:
        known = ", ".join(example.defaults)
        raise ConfigError(
            f"Example '{name}' ({example.description}) has no {', '.join(unknown)}; "
            f"it takes {known}."
        )
    return example.build({**example.defaults, **overrides})
