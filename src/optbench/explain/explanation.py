"""The records an explanation is made of: terms, updates, steps, and the whole explanation.

Every number the explainer computes is a `Term`: a symbol, the formula that defines it, the
same formula with numbers filled in, and its value. A `Step` groups the terms of one SGD step
into the four stages a student writes down: forward pass, local derivatives, chain-rule
products, parameter update.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optbench.explain.symbol import Formula, Sym, substitute, sym


@dataclass(frozen=True)
class Term:
    """`symbol = formula = numbers = value`, e.g. `z = w₁·x₁ + b = 2·1 + 2 = 4`."""

    symbol: Sym
    formula: Formula
    numbers: Formula
    value: float


@dataclass(frozen=True)
class Update:
    """One SGD update θ ← θ − η·∂L/∂θ of the parameter `symbol`."""

    symbol: Sym
    grad_symbol: Sym
    before: float
    grad: float
    after: float


@dataclass(frozen=True)
class Step:
    """One SGD step (1-based `number`), stage by stage."""

    number: int
    forward: tuple[Term, ...]
    local: tuple[Term, ...]
    chain: tuple[Term, ...]
    updates: tuple[Update, ...]

    def value(self, key: str) -> float:
        """A term's value by its ASCII key: `z`, `a`, `L`, `da/dz`, `dL/dw1`, `dL/dV2,1`."""
        for term in (*self.forward, *self.local, *self.chain):
            if term.symbol.key == key:
                return term.value
        known = ", ".join(t.symbol.key for t in (*self.forward, *self.local, *self.chain))
        raise KeyError(f"no term '{key}' in step {self.number}; known: {known}")

    @property
    def params_before(self) -> dict[str, float]:
        return {u.symbol.key: u.before for u in self.updates}

    @property
    def grads(self) -> dict[str, float]:
        """∂L/∂θ for every parameter θ, keyed by the parameter's key (`w1`, `b`, `V1,2`)."""
        return {u.symbol.key: u.grad for u in self.updates}

    @property
    def params_after(self) -> dict[str, float]:
        return {u.symbol.key: u.after for u in self.updates}


@dataclass(frozen=True)
class Explanation:
    """n SGD steps of a single neuron (`model="neuron"`) or a one-hidden-layer net (`"mlp"`)."""

    model: str
    x: tuple[float, ...]
    y: float
    activation: str
    loss: str
    lr: float
    steps: tuple[Step, ...]
    hidden_activation: str | None = None
    title: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def initial_params(self) -> dict[str, float]:
        return self.steps[0].params_before

    @property
    def final_params(self) -> dict[str, float]:
        return self.steps[-1].params_after


class StepBuilder:
    """Collects the terms of one step; each added term's value becomes available by key."""

    def __init__(self, number: int, values: dict[str, float]) -> None:
        self.number = number
        self.values = dict(values)
        self._stages: dict[str, list[Term]] = {"forward": [], "local": [], "chain": []}
        self._updates: list[Update] = []

    def add(self, stage: str, symbol: Sym, formula: Formula, value: float) -> float:
        """Record `symbol = formula` (its numbers filled in from earlier terms); return value."""
        numbers = substitute(formula, self.values)
        self._stages[stage].append(Term(symbol, formula, numbers, value))
        self.values[symbol.key] = value
        return value

    def update(self, param: Sym, grad: Sym, lr: float) -> float:
        """Record the SGD update of `param` with gradient term `grad`; return the new value."""
        before, g = self.values[param.key], self.values[grad.key]
        after = before - lr * g
        self._updates.append(Update(param, grad, before, g, after))
        return after

    def build(self) -> Step:
        s = self._stages
        return Step(
            self.number,
            tuple(s["forward"]),
            tuple(s["local"]),
            tuple(s["chain"]),
            tuple(self._updates),
        )


LR = sym("η", tex_name=r"\eta")
"""The learning rate η, as it appears in update formulas."""
