"""`optbench explain`: one gradient step by hand, for a neuron or a one-hidden-layer net.

optbench explain                                   # the seed homework's neuron (HW2 Q2)
optbench explain --x 1,-2 --w 2,1 --b 2 --y 1 --loss bce --lr 0.1 --steps 2
optbench explain --x 1,-2 --hidden-w "0.5,-0.3;0.2,0.8" --hidden-b 0.1,-0.1 --w 1.5,-1
optbench explain --example seed-q2 --loss bce --y 1 --format latex
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer
from rich.console import Console

from optbench.core.errors import ConfigError
from optbench.explain import (
    EXAMPLES,
    explain_example,
    explain_mlp,
    explain_neuron,
    to_latex,
    to_markdown,
    to_table,
)

# Defaults for a net given by flags (an example brings its own).
_NEURON_DEFAULTS: dict[str, Any] = {
    "b": 0.0,
    "y": 1.0,
    "activation": "sigmoid",
    "loss": "se",
    "lr": 0.1,
    "steps": 1,
}
_MLP_DEFAULTS: dict[str, Any] = {**_NEURON_DEFAULTS, "hidden_activation": "tanh"}


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    latex = "latex"


def register(app: typer.Typer) -> None:
    """Add the `explain` command to the optbench app."""
    app.command("explain")(explain)


def explain(
    example: str | None = typer.Option(
        None, "--example", help="A worked example: seed-q2 (shown when no net is given), tiny-mlp."
    ),
    x: str | None = typer.Option(None, "--x", help="Inputs, comma-separated: 1,-2"),
    w: str | None = typer.Option(
        None, "--w", help="Output weights: one per input, or one per hidden unit with --hidden-w."
    ),
    b: float | None = typer.Option(None, "--b", help="Output bias \\[default: 0]."),
    y: float | None = typer.Option(None, "--y", help="Target \\[default: 1]."),
    activation: str | None = typer.Option(
        None,
        "--activation",
        help="Output activation: sigmoid, tanh, relu, linear \\[default: sigmoid].",
    ),
    loss: str | None = typer.Option(
        None, "--loss", help="se (y−a)², half_se ½(y−a)², bce binary cross-entropy \\[default: se]."
    ),
    lr: float | None = typer.Option(None, "--lr", help="Learning rate η \\[default: 0.1]."),
    steps: int | None = typer.Option(None, "--steps", help="Number of SGD steps \\[default: 1]."),
    hidden_w: str | None = typer.Option(
        None, "--hidden-w", help='Hidden weights, one row per hidden unit: "0.5,-0.3;0.2,0.8".'
    ),
    hidden_b: str | None = typer.Option(
        None, "--hidden-b", help="Hidden biases, one per hidden unit \\[default: zeros]."
    ),
    hidden_activation: str | None = typer.Option(
        None, "--hidden-activation", help="Hidden activation \\[default: tanh]."
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
    digits: int = typer.Option(6, "--digits", min=1, max=17, help="Significant digits shown."),
    standalone: bool = typer.Option(
        False, "--standalone", help="With --format latex: a complete LaTeX document."
    ),
) -> None:
    """Forward pass, local derivatives, chain rule and SGD update, written out by hand."""
    given = {
        "x": parse_floats(x, "--x"),
        "w": parse_floats(w, "--w"),
        "b": b,
        "y": y,
        "activation": activation,
        "loss": loss,
        "lr": lr,
        "steps": steps,
        "hidden_w": parse_rows(hidden_w, "--hidden-w"),
        "hidden_b": parse_floats(hidden_b, "--hidden-b"),
        "hidden_activation": hidden_activation,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if example is not None or not given.keys() & {"x", "w", "hidden_w"}:
        expl = explain_example(example or "seed-q2", **given)
    else:
        expl = _custom(given)
    if fmt is Format.table:
        Console().print(to_table(expl, digits))
    elif fmt is Format.markdown:
        typer.echo(to_markdown(expl, digits), nl=False)
    else:
        typer.echo(to_latex(expl, digits, standalone=standalone), nl=False)


def _custom(given: dict[str, Any]) -> Any:
    """A neuron (no --hidden-w) or a one-hidden-layer net, from flags and defaults."""
    missing = [f"--{k}" for k in ("x", "w") if k not in given]
    if missing:
        examples = ", ".join(EXAMPLES.names())
        raise ConfigError(
            f"`{' and '.join(missing)}` must be given to explain your own net "
            f"(or use --example {examples})."
        )
    if "hidden_w" not in given:
        stray = sorted(k for k in given if k.startswith("hidden_"))
        if stray:
            flag = "--" + stray[0].replace("_", "-")
            raise ConfigError(f"`{flag}` needs --hidden-w (the hidden layer).")
        return explain_neuron(**{**_NEURON_DEFAULTS, **given})
    args = {**_MLP_DEFAULTS, **given}
    args.setdefault("hidden_b", [0.0] * len(args["hidden_w"]))
    return explain_mlp(**args)


def parse_floats(text: str | None, flag: str) -> list[float] | None:
    """'1,-2' → [1.0, -2.0]; None stays None; anything else is a ConfigError naming the flag."""
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise ConfigError(
            f"`{flag}` must be comma-separated numbers, e.g. {flag} 1,-2. Received: {flag}={text!r}"
        ) from None


def parse_rows(text: str | None, flag: str) -> list[list[float]] | None:
    """'0.1,0.2;0.3,0.4' → [[0.1, 0.2], [0.3, 0.4]] (rows separated by ';')."""
    if text is None:
        return None
    try:
        return [[float(p) for p in row.split(",")] for row in text.split(";")]
    except ValueError:
        raise ConfigError(
            f"`{flag}` must be rows of comma-separated numbers separated by ';', "
            f'e.g. {flag} "0.5,-0.3;0.2,0.8". Received: {flag}={text!r}'
        ) from None
