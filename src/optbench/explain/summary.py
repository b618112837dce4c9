"""What every renderer shows, independent of the output format: header lines and step stages."""

from __future__ import annotations

from optbench.explain.activation import ACTIVATIONS
from optbench.explain.explanation import LR, Explanation, Step, Term
from optbench.explain.loss import LOSSES
from optbench.explain.symbol import Formula, Sym, number, substitute, sym, to_tex, to_text

STAGES = (
    ("forward", "Forward pass"),
    ("local", "Local derivatives"),
    ("chain", "Chain rule"),
    ("update", "SGD update"),
)

_Z, _A, _L, _Y, _B = sym("z"), sym("a"), sym("L"), sym("y"), sym("b")


def header(expl: Explanation, digits: int, *, tex: bool = False) -> list[tuple[str, str]]:
    """(label, math) lines: model, loss, data, learning rate, start and end parameters."""
    render = to_tex if tex else to_text
    act = ACTIVATIONS.get(expl.activation)
    loss = LOSSES.get(expl.loss)
    out_unit: Formula = (_Z, " = w·x + b,  ", _A, " = ", *act.formula(_Z))
    if expl.model == "mlp":
        hid = ACTIVATIONS.get(expl.hidden_activation or "")
        u, h = sym("u"), sym("h")
        model = (
            "one hidden layer",
            (
                u,
                " = V·x + c,  ",
                h,
                " = ",
                *hid.formula(u),
                ",  ",
                _Z,
                " = w·h + b,  ",
                _A,
                " = ",
                *act.formula(_Z),
            ),
        )
    else:
        model = ("single neuron", out_unit)
    n = len(expl.steps)
    sep = r",\quad " if tex else ",  "
    return [
        (model[0], render(model[1])),
        (f"loss ({loss.title})", render((_L, " = ", *loss.formula(_Y, _A)))),
        (
            "input and target",
            f"x = {_vector(expl.x, digits, tex)}{sep}{_equals(_Y, expl.y, digits, tex)}",
        ),
        (f"learning rate, {n} SGD step{'s' * (n > 1)}", render((LR, " = ", expl.lr))),
        ("initial parameters", _params(expl.initial_params, digits, tex)),
        (f"parameters after step {n}", _params(expl.final_params, digits, tex)),
        ("loss per step", _losses(expl, digits, tex)),
    ]


def stages(step: Step, lr: float) -> list[tuple[str, str, tuple[Term, ...]]]:
    """(title, relation, terms) for the four stages; the update stage uses ← as relation."""
    updates = tuple(
        Term(
            u.symbol,
            (u.symbol, " − ", LR, "·", u.grad_symbol),
            substitute(
                (u.symbol, " − ", LR, "·", u.grad_symbol),
                {u.symbol.key: u.before, LR.key: lr, u.grad_symbol.key: u.grad},
            ),
            u.after,
        )
        for u in step.updates
    )
    terms = {"forward": step.forward, "local": step.local, "chain": step.chain, "update": updates}
    return [(title, "←" if key == "update" else "=", terms[key]) for key, title in STAGES]


def columns(term: Term, digits: int, *, tex: bool = False) -> tuple[str, str, str, str]:
    """(symbol, formula, numbers, value); numbers is '' when it would repeat formula or value."""
    render = to_tex if tex else to_text
    symbol = term.symbol.tex if tex else term.symbol.text
    formula, numbers = render(term.formula, digits), render(term.numbers, digits)
    value = number(term.value, digits, tex=tex)
    if numbers in (formula, value):
        numbers = ""
    return symbol, formula, numbers, value


def _vector(values: tuple[float, ...], digits: int, tex: bool) -> str:
    return "(" + ", ".join(number(v, digits, tex=tex) for v in values) + ")"


def _params(params: dict[str, float], digits: int, tex: bool) -> str:
    sep = r",\ " if tex else ", "
    return sep.join(_equals(_param_sym(k), v, digits, tex) for k, v in params.items())


def _equals(symbol: Sym, value: float, digits: int, tex: bool) -> str:
    return f"{symbol.tex if tex else symbol.text} = {number(value, digits, tex=tex)}"


def _param_sym(key: str) -> Sym:
    name, index = key[0], key[1:]
    return sym(name, *(int(i) for i in index.split(","))) if index else sym(name)


def _losses(expl: Explanation, digits: int, tex: bool) -> str:
    arrow = r" \to " if tex else " → "
    return arrow.join(number(s.value("L"), digits, tex=tex) for s in expl.steps)
