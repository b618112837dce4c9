"""The seed example, input validation, and the three renderers."""

from __future__ import annotations

import math

import pytest
from rich.console import Console

from optbench.core.errors import ConfigError
from optbench.explain import (
    explain_example,
    explain_mlp,
    explain_neuron,
    to_latex,
    to_markdown,
    to_table,
)
from optbench.explain.example import SEED_Q2_SCAN


def render_table(expl) -> str:
    console = Console(record=True, width=160)
    console.print(to_table(expl))
    return console.export_text()


def test_seed_q2_reproduces_the_scan() -> None:
    expl = explain_example("seed-q2")
    first, second = expl.steps
    assert first.value("z") == 2.0
    assert round(first.value("a"), 4) == 0.8808
    assert math.isclose(first.value("a"), SEED_Q2_SCAN["a"], abs_tol=5e-9)  # scan: z = 2 + 2e-9
    assert math.isclose(first.value("L"), SEED_Q2_SCAN["L"], abs_tol=1e-8)  # L = (0 − a)²
    assert math.isclose(second.value("L"), 0.7755038504, abs_tol=5e-4)
    assert math.isclose(first.grads["b"], 2 * 0.8807970779778823**2 * (1 - 0.8807970779778823))
    assert first.params_after["w1"] == pytest.approx(2 - 0.001 * first.grads["w1"])


def test_seed_q2_says_which_loss_was_assumed() -> None:
    expl = explain_example()
    text = " ".join(expl.notes)
    assert "illegible" in text and "y = 0" in text and "η = 0.001" in text
    assert "0.269875" in text  # the scan's gradient, flagged as inconsistent
    for out in (to_markdown(expl), render_table(expl)):
        assert "0.880797" in out and "0.8808" in out
        assert "| **Forward pass** | z |" in out or "Forward pass" in out


def test_seed_q2_with_another_loss_says_so() -> None:
    expl = explain_example("seed-q2", loss="bce", y=1.0, lr=0.1)
    assert "as given: bce, y = 1" in " ".join(expl.notes)
    assert math.isclose(expl.steps[0].value("dL/dz"), 0.8807970779778823 - 1.0)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"lr": -0.1}, "`lr` must be > 0. Received: lr=-0.1"),
        ({"lr": 0.0}, "`lr` must be > 0. Received: lr=0.0"),
        ({"lr": float("nan")}, "`lr` must be > 0. Received: lr=nan"),
        ({"steps": 0}, "`steps` must be an integer >= 1. Received: steps=0"),
        ({"activation": "sigmod"}, "Unknown activation 'sigmod'. Did you mean 'sigmoid'?"),
        ({"loss": "mse"}, "Unknown loss 'mse'. Did you mean 'se'"),
        ({"w": (2.0,)}, "`w` must hold one value per input (2). Received: w=(2.0,) with 1"),
        ({"loss": "bce", "y": 2.0}, "`y` must be in [0, 1] for binary cross-entropy. Received"),
        ({"x": (1.0, float("inf"))}, "`x` must hold finite numbers. Received: x=(1.0, inf)"),
        ({"x": ()}, "`x` must hold at least one input. Received: x=()"),
    ],
)
def test_bad_neuron_input_is_a_config_error(kwargs: dict, expected: str) -> None:
    args = {"x": (1.0, -2.0), "w": (2.0, 1.0), "b": 2.0, "y": 0.0, **kwargs}
    with pytest.raises(ConfigError) as info:
        explain_neuron(**args)
    assert expected in str(info.value)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        explain_neuron([1.0], [1.0, 2.0], 0.0, 3.0, "sigmod", "bce", lr=-1, steps=0)
    assert "(5 problems)" in str(info.value)
    assert len(info.value.problems) == 5


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"hidden_w": ((1.0, 2.0), (3.0,))}, "`hidden_w[2]` must hold one value per input (2)"),
        ({"hidden_b": (0.0,)}, "`hidden_b` must hold one value per hidden unit (2)"),
        ({"w": (1.0, 2.0, 3.0)}, "`w` must hold one value per hidden unit (2)"),
        ({"hidden_w": ()}, "`hidden_w` must hold at least one row"),
        ({"hidden_activation": "rellu"}, "Unknown activation 'rellu'. Did you mean 'relu'?"),
    ],
)
def test_bad_mlp_input_is_a_config_error(kwargs: dict, expected: str) -> None:
    args = {
        "x": (1.0, -2.0),
        "hidden_w": ((0.5, -0.3), (0.2, 0.8)),
        "hidden_b": (0.0, 0.0),
        "w": (1.0, -1.0),
        "b": 0.0,
        "y": 1.0,
        **kwargs,
    }
    with pytest.raises(ConfigError) as info:
        explain_mlp(**args)
    assert expected in str(info.value)


def test_bce_needs_an_output_between_0_and_1() -> None:
    with pytest.raises(ConfigError, match=r"needs the output a in \(0, 1\).*'linear'"):
        explain_neuron([1.0], [2.0], 0.0, 1.0, "linear", "bce")


def test_divergence_is_reported_not_crashed() -> None:
    with pytest.raises(ConfigError, match=r"diverged\. Lower the learning rate\. Received: lr="):
        explain_neuron([3.0, -2.0], [1.0, 1.0], 0.0, 0.0, "linear", "se", lr=1000.0, steps=200)


def test_unknown_example_and_unknown_override() -> None:
    with pytest.raises(ConfigError, match=r"Unknown example 'seed-q3'\. Did you mean 'seed-q2'"):
        explain_example("seed-q3")
    with pytest.raises(ConfigError, match="has no hidden_w"):
        explain_example("seed-q2", hidden_w=[[1.0, 2.0]])


def test_markdown_has_one_table_per_step() -> None:
    md = to_markdown(explain_example())
    assert md.startswith("# Seed HW2 Q2")
    assert md.count("| stage | quantity | formula | with numbers | value |") == 2
    assert "| **Forward pass** | z | w₁·x₁ + w₂·x₂ + b | 2·1 + 1·(−2) + 2 | 2 |" in md
    assert "| **SGD update** | w₁ ← | w₁ − η·∂L/∂w₁ | 2 − 0.001·0.184956 | 1.99982 |" in md


def test_latex_is_balanced_and_spells_math_in_tex() -> None:
    tex = to_latex(explain_example("tiny-mlp"), standalone=True)
    assert tex.startswith(r"\documentclass{article}")
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") == 1
    assert tex.count("{") == tex.count("}")
    assert r"\frac{\partial L}{\partial V_{1,2}}" in tex
    assert r"h_{1} &= \tanh(u_{1})" in tex
    assert "∂" not in tex and "·" not in tex and "−" not in tex
    body = to_latex(explain_example())
    z_line = r"z &= w_{1} \cdot x_{1} + w_{2} \cdot x_{2} + b = 2 \cdot 1 + 1 \cdot (-2) + 2 = 2"
    assert z_line in body
    assert r"\frac{\partial z}{\partial b} &= 1 \\" in body


def test_table_shows_every_stage_and_brackets_in_formulas() -> None:
    text = render_table(explain_example("tiny-mlp"))
    for stage in ("Forward pass", "Local derivatives", "Chain rule", "SGD update"):
        assert stage in text
    assert "−[y·ln(a) + (1 − y)·ln(1 − a)]" in text  # not eaten as rich markup
    assert "tanh(−1.5)" in text and "1 − (−0.905148)²" in text
