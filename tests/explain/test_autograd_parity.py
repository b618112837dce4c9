"""The by-hand arithmetic equals torch.autograd (float64) for every activation × loss."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from optbench.explain import ACTIVATIONS, LOSSES, explain_mlp, explain_neuron

TOL = 1e-10
LR = 0.02  # small enough that BCE stays defined (0 < a < 1) for every activation
ACTS = ACTIVATIONS.names()
LOSS_NAMES = LOSSES.names()

TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda z: z,
}


def torch_loss(name: str, y: float, a: torch.Tensor) -> torch.Tensor:
    if name == "se":
        return (y - a) ** 2
    if name == "half_se":
        return 0.5 * (y - a) ** 2
    return -(y * torch.log(a) + (1 - y) * torch.log(1 - a))


def t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def close(a: float, b: float | torch.Tensor) -> bool:
    ref = float(b.detach()) if isinstance(b, torch.Tensor) else float(b)
    return abs(a - ref) <= TOL * max(1.0, abs(ref))


# z = 0.7 at the start: every output activation gives 0 < a < 1, so BCE is defined throughout.
NEURON = {"x": (0.5, -1.0, 2.0), "w": (0.4, -0.2, 0.1), "b": 0.1, "y": 0.3}


@pytest.mark.parametrize(("activation", "loss"), list(itertools.product(ACTS, LOSS_NAMES)))
def test_neuron_matches_autograd(activation: str, loss: str) -> None:
    expl = explain_neuron(**NEURON, activation=activation, loss=loss, lr=LR, steps=3)
    x = torch.tensor(NEURON["x"], dtype=torch.float64)
    w, b = t(NEURON["w"]), t(NEURON["b"])
    for step in expl.steps:
        z = w @ x + b
        z.retain_grad()
        a = TORCH_ACT[activation](z)
        a.retain_grad()
        L = torch_loss(loss, NEURON["y"], a)
        L.backward()
        z2 = z.detach().requires_grad_()
        (dadz,) = torch.autograd.grad(TORCH_ACT[activation](z2), z2)
        for key, ref in (
            ("z", z),
            ("a", a),
            ("L", L),
            ("dL/da", a.grad),
            ("da/dz", dadz),
            ("dL/dz", z.grad),
            ("dL/db", b.grad),
        ):
            assert close(step.value(key), ref), (step.number, key)
        for i in range(len(x)):
            assert close(step.value(f"dz/dw{i + 1}"), x[i])
            assert close(step.grads[f"w{i + 1}"], w.grad[i])
            assert close(step.value(f"dL/dw{i + 1}"), w.grad[i])
        with torch.no_grad():  # plain SGD, then compare the updated parameters
            w -= LR * w.grad
            b -= LR * b.grad
        w.grad, b.grad = None, None
        after = step.params_after
        assert all(close(after[f"w{i + 1}"], w[i]) for i in range(len(x)))
        assert close(after["b"], b)


MLP = {
    "x": (0.5, -1.0),
    "hidden_w": ((0.3, -0.2), (0.1, 0.4), (-0.5, 0.2)),
    "hidden_b": (0.05, 0.5, 0.3),
    "w": (0.3, -0.4, 0.5),
    "b": 0.4,
    "y": 0.3,
}


@pytest.mark.parametrize(
    ("activation", "loss", "hidden"), list(itertools.product(ACTS, LOSS_NAMES, ACTS))
)
def test_mlp_matches_autograd(activation: str, loss: str, hidden: str) -> None:
    expl = explain_mlp(
        **MLP, activation=activation, hidden_activation=hidden, loss=loss, lr=LR, steps=3
    )
    x = torch.tensor(MLP["x"], dtype=torch.float64)
    V, c, w, b = t(MLP["hidden_w"]), t(MLP["hidden_b"]), t(MLP["w"]), t(MLP["b"])
    for step in expl.steps:
        u = V @ x + c
        u.retain_grad()
        h = TORCH_ACT[hidden](u)
        h.retain_grad()
        z = w @ h + b
        z.retain_grad()
        a = TORCH_ACT[activation](z)
        a.retain_grad()
        L = torch_loss(loss, MLP["y"], a)
        L.backward()
        for key, ref in (
            ("z", z),
            ("a", a),
            ("L", L),
            ("dL/da", a.grad),
            ("dL/dz", z.grad),
            ("dL/db", b.grad),
        ):
            assert close(step.value(key), ref), (step.number, key)
        for k in range(len(c)):
            n = k + 1
            for key, ref in (
                (f"u{n}", u[k]),
                (f"h{n}", h[k]),
                (f"dL/dh{n}", h.grad[k]),
                (f"dL/du{n}", u.grad[k]),
                (f"dL/dw{n}", w.grad[k]),
                (f"dL/dc{n}", c.grad[k]),
                (f"dz/dh{n}", w[k]),
            ):
                assert close(step.value(key), ref), (step.number, key)
            for j in range(len(x)):
                assert close(step.grads[f"V{n},{j + 1}"], V.grad[k, j])
        with torch.no_grad():
            for p in (V, c, w, b):
                p -= LR * p.grad
                p.grad = None
        after = step.params_after
        assert close(after["b"], b)
        assert all(close(after[f"V{k + 1},{j + 1}"], V[k, j]) for k in range(3) for j in range(2))
        assert all(
            close(after[f"c{k + 1}"], c[k]) and close(after[f"w{k + 1}"], w[k]) for k in range(3)
        )


finite = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(x=st.lists(finite, min_size=1, max_size=4), data=st.data())
def test_neuron_matches_autograd_on_random_inputs(x: list[float], data: st.DataObject) -> None:
    w = data.draw(st.lists(finite, min_size=len(x), max_size=len(x)))
    b, y = data.draw(finite), data.draw(st.floats(0, 1))
    step = explain_neuron(x, w, b, y, "sigmoid", "bce", lr=0.5).steps[0]
    wt, bt = t(w), t(b)
    a = torch.sigmoid(wt @ torch.tensor(x, dtype=torch.float64) + bt)
    torch_loss("bce", y, a).backward()
    assert close(step.grads["b"], bt.grad)
    assert all(close(step.grads[f"w{i + 1}"], wt.grad[i]) for i in range(len(x)))
