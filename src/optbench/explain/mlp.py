"""A net with one hidden layer, trained by SGD on one example — every number by hand.

    uₖ = Σⱼ Vₖⱼ·xⱼ + cₖ      (hidden pre-activations, k = 1…H)
    hₖ = g(uₖ)               (hidden activations)
    z  = Σₖ wₖ·hₖ + b,  a = f(z),  L = loss(y, a)

Backprop: the output unit is the single neuron fed with h; the chain then continues through
∂z/∂hₖ = wₖ (the weights *before* the update) and ∂hₖ/∂uₖ = g'(uₖ) down to Vₖⱼ and cₖ.
"""

from __future__ import annotations

from collections.abc import Sequence

from optbench.explain.activation import Activation
from optbench.explain.explanation import Explanation, Step, StepBuilder
from optbench.explain.loss import Loss
from optbench.explain.neuron import B, L, Y, Z, output_unit, product, weighted_sum
from optbench.explain.symbol import Sym, partial, sym
from optbench.explain.validate import (
    check_common,
    check_finite,
    check_length,
    check_step_finite,
    lookup_activation,
    lookup_loss,
    raise_if,
)


def explain_mlp(
    x: Sequence[float],
    hidden_w: Sequence[Sequence[float]],
    hidden_b: Sequence[float],
    w: Sequence[float],
    b: float,
    y: float,
    activation: str = "sigmoid",
    hidden_activation: str = "tanh",
    loss: str = "se",
    lr: float = 0.1,
    steps: int = 1,
    *,
    title: str = "",
    notes: Sequence[str] = (),
) -> Explanation:
    """`steps` SGD steps of the one-hidden-layer net, written out by hand.

    `hidden_w[k][j]` is the weight from input j to hidden unit k (one row per hidden unit),
    `hidden_b[k]` that unit's bias, `w[k]` the output weight of hidden unit k.
    """
    problems: list[str] = []
    check_common(problems, x=x, y=y, lr=lr, steps=steps)
    _check_shapes(problems, x, hidden_w, hidden_b, w, b)
    out_act = lookup_activation(problems, activation)
    hid_act = lookup_activation(problems, hidden_activation)
    lo = lookup_loss(problems, loss, y)
    raise_if(problems)
    assert out_act is not None and hid_act is not None and lo is not None
    n, h = len(x), len(hidden_w)
    xs = [sym("x", j + 1) for j in range(n)]
    vs = [[sym("V", k + 1, j + 1) for j in range(n)] for k in range(h)]
    cs, ws = [sym("c", k + 1) for k in range(h)], [sym("w", k + 1) for k in range(h)]
    values = {Y.key: float(y), B.key: float(b)}
    values |= {s.key: float(v) for s, v in zip(xs, x, strict=True)}
    values |= {s.key: float(hidden_w[k][j]) for k, row in enumerate(vs) for j, s in enumerate(row)}
    values |= {s.key: float(v) for s, v in zip(cs, hidden_b, strict=True)}
    values |= {s.key: float(v) for s, v in zip(ws, w, strict=True)}
    params = [*(v for row in vs for v in row), *cs, *ws, B]
    done: list[Step] = []
    for number in range(1, steps + 1):
        sb = StepBuilder(number, values)
        _net_step(sb, xs, vs, cs, ws, hid_act, out_act, lo)
        for param in params:
            values[param.key] = sb.update(param, partial(L, param), lr)
        check_step_finite(values, number, lr)
        done.append(sb.build())
    return Explanation(
        "mlp",
        tuple(map(float, x)),
        float(y),
        out_act.name,
        lo.name,
        float(lr),
        tuple(done),
        hidden_activation=hid_act.name,
        title=title or "One gradient step by hand: a net with one hidden layer",
        notes=tuple(notes),
    )


def _check_shapes(
    problems: list[str],
    x: Sequence[float],
    hidden_w: Sequence[Sequence[float]],
    hidden_b: Sequence[float],
    w: Sequence[float],
    b: float,
) -> None:
    h = len(hidden_w)
    if h == 0:
        problems.append("`hidden_w` must hold at least one row (one per hidden unit). Received: ()")
    for k, row in enumerate(hidden_w, start=1):
        check_length(problems, f"hidden_w[{k}]", row, len(x), "input")
        check_finite(problems, f"hidden_w[{k}]", row)
    check_length(problems, "hidden_b", hidden_b, h, "hidden unit")
    check_finite(problems, "hidden_b", hidden_b)
    check_length(problems, "w", w, h, "hidden unit")
    check_finite(problems, "w", w)
    check_finite(problems, "b", [b])


def _net_step(
    sb: StepBuilder,
    xs: list[Sym],
    vs: list[list[Sym]],
    cs: list[Sym],
    ws: list[Sym],
    hid_act: Activation,
    out_act: Activation,
    loss: Loss,
) -> None:
    """Hidden forward pass, then the output unit, then the chain back into the hidden layer."""
    v = sb.values
    us = [sym("u", k + 1) for k in range(len(cs))]
    hs = [sym("h", k + 1) for k in range(len(cs))]
    for vk, ck, uk, hk in zip(vs, cs, us, hs, strict=True):
        u = sum(v[s.key] * v[xj.key] for s, xj in zip(vk, xs, strict=True)) + v[ck.key]
        sb.add("forward", uk, weighted_sum(vk, xs, ck), u)
        sb.add("forward", hk, hid_act.formula(uk), hid_act.fn(u))
    dldz = output_unit(sb, hs, ws, out_act, loss)
    for vk, ck, wk, uk, hk in zip(vs, cs, ws, us, hs, strict=True):
        sb.add("local", partial(Z, hk), (wk,), v[wk.key])
        sb.add(
            "local",
            partial(hk, uk),
            hid_act.derivative_formula(uk, hk),
            hid_act.derivative(v[uk.key], v[hk.key]),
        )
        for s, xj in zip(vk, xs, strict=True):
            sb.add("local", partial(uk, s), (xj,), v[xj.key])
        sb.add("local", partial(uk, ck), ("1",), 1.0)
    for vk, ck, wk, uk, hk in zip(vs, cs, ws, us, hs, strict=True):
        dldh = sb.add(
            "chain", partial(L, hk), product(partial(L, Z), partial(Z, hk)), dldz * v[wk.key]
        )
        dldu = sb.add(
            "chain",
            partial(L, uk),
            product(partial(L, hk), partial(hk, uk)),
            dldh * v[partial(hk, uk).key],
        )
        for s, xj in zip(vk, xs, strict=True):
            grad = dldu * v[xj.key]
            sb.add("chain", partial(L, s), product(partial(L, uk), partial(uk, s)), grad)
        sb.add("chain", partial(L, ck), product(partial(L, uk), partial(uk, ck)), dldu)
