"""One neuron, a = f(w·x + b), trained by SGD on one example — every number by hand.

The arithmetic is plain Python floats (no autograd): forward pass, local derivatives,
chain-rule products, update. `output_unit` is shared with the one-hidden-layer net, whose
output unit is this neuron fed with the hidden activations instead of the inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from optbench.explain.activation import Activation
from optbench.explain.explanation import Explanation, Step, StepBuilder
from optbench.explain.loss import Loss
from optbench.explain.symbol import Formula, Sym, partial, sym
from optbench.explain.validate import (
    check_common,
    check_finite,
    check_length,
    check_output,
    check_step_finite,
    lookup_activation,
    lookup_loss,
    raise_if,
)

Z, A, L, B, Y = sym("z"), sym("a"), sym("L"), sym("b"), sym("y")


def explain_neuron(
    x: Sequence[float],
    w: Sequence[float],
    b: float,
    y: float,
    activation: str = "sigmoid",
    loss: str = "se",
    lr: float = 0.1,
    steps: int = 1,
    *,
    title: str = "",
    notes: Sequence[str] = (),
) -> Explanation:
    """`steps` SGD steps of a = activation(Σ wᵢxᵢ + b) on loss(y, a), written out by hand.

    >>> e = explain_neuron([1, -2], [2, 1], 2, y=0, activation="sigmoid", loss="se", lr=0.001)
    >>> round(e.steps[0].value("z"), 4), round(e.steps[0].value("a"), 4)
    (2.0, 0.8808)
    """
    problems: list[str] = []
    check_common(problems, x=x, y=y, lr=lr, steps=steps)
    check_length(problems, "w", w, len(x), "input")
    check_finite(problems, "w", w)
    check_finite(problems, "b", [b])
    act = lookup_activation(problems, activation)
    lo = lookup_loss(problems, loss, y)
    raise_if(problems)
    assert act is not None and lo is not None
    xs = [sym("x", i + 1) for i in range(len(x))]
    ws = [sym("w", i + 1) for i in range(len(x))]
    values = {Y.key: float(y), **_keyed(xs, x), **_keyed(ws, w), B.key: float(b)}
    done: list[Step] = []
    for number in range(1, steps + 1):
        sb = StepBuilder(number, values)
        output_unit(sb, xs, ws, act, lo)
        for param in (*ws, B):
            values[param.key] = sb.update(param, partial(L, param), lr)
        check_step_finite(values, number, lr)
        done.append(sb.build())
    return Explanation(
        "neuron",
        tuple(map(float, x)),
        float(y),
        act.name,
        lo.name,
        float(lr),
        tuple(done),
        title=title or "One gradient step by hand: a single neuron",
        notes=tuple(notes),
    )


def output_unit(
    sb: StepBuilder, inputs: list[Sym], weights: list[Sym], act: Activation, loss: Loss
) -> float:
    """Forward z, a, L; local derivatives; chain rule down to ∂L/∂wᵢ and ∂L/∂b. Returns ∂L/∂z."""
    v = sb.values
    z = sum(v[w.key] * v[i.key] for w, i in zip(weights, inputs, strict=True)) + v[B.key]
    sb.add("forward", Z, weighted_sum(weights, inputs, B), z)
    a = sb.add("forward", A, act.formula(Z), act.fn(z))
    check_output(loss, act.name, a, sb.number)
    y = v[Y.key]
    sb.add("forward", L, loss.formula(Y, A), loss.fn(y, a))
    dlda = sb.add("local", partial(L, A), loss.derivative_formula(Y, A), loss.derivative(y, a))
    dadz = sb.add("local", partial(A, Z), act.derivative_formula(Z, A), act.derivative(z, a))
    for w, i in zip(weights, inputs, strict=True):
        sb.add("local", partial(Z, w), (i,), v[i.key])
    sb.add("local", partial(Z, B), ("1",), 1.0)
    dldz = sb.add("chain", partial(L, Z), product(partial(L, A), partial(A, Z)), dlda * dadz)
    for w, i in zip(weights, inputs, strict=True):
        sb.add("chain", partial(L, w), product(partial(L, Z), partial(Z, w)), dldz * v[i.key])
    sb.add("chain", partial(L, B), product(partial(L, Z), partial(Z, B)), dldz)
    return dldz


def weighted_sum(weights: list[Sym], inputs: list[Sym], bias: Sym) -> Formula:
    """w₁·x₁ + w₂·x₂ + … + b."""
    parts: list[Sym | str | float] = []
    for w, i in zip(weights, inputs, strict=True):
        parts += [w, "·", i, " + "]
    return (*parts, bias)


def product(*factors: Sym) -> Formula:
    """f₁ · f₂ · … (the chain rule's product of local derivatives)."""
    parts: list[Sym | str | float] = []
    for f in factors:
        parts += [f, " · "]
    return tuple(parts[:-1])


def _keyed(symbols: list[Sym], values: Sequence[float]) -> dict[str, float]:
    return {s.key: float(v) for s, v in zip(symbols, values, strict=False)}
