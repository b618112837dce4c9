"""keras profile == Keras 3's defaults and update rules.

Two independent checks: golden numbers worked out by hand from the Keras source
(keras/src/optimizers/<name>.py) for three steps with fixed gradients, and a float64 multi-step
comparison against a numpy re-implementation of the published rules.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from optbench.optim import OPTIMIZERS, build_optimizer, parse_optimizer, resolve_optimizer

W0 = [1.0, -2.0]
GRADS = [[0.5, -1.0], [0.25, 0.5], [-1.0, 2.0]]  # fixed gradients for steps 1, 2, 3

# Weights after steps 1, 2, 3 with Keras' DEFAULT hyperparameters (so the defaults are tested too).
GOLDEN = {
    # lr=0.01: w ← w - 0.01·g. Step 1: 1 - 0.005 = 0.995, -2 + 0.01 = -1.99.
    "sgd": [[0.995, -1.99], [0.9925, -1.995], [1.0025, -2.015]],
    # lr=0.01, μ=0.9: m ← 0.9·m - 0.01·g; w ← w + m. Step 1: m = -0.005 → 0.995;
    # step 2: m = -0.0045 - 0.0025 = -0.007 → 0.988. (Equal to torch's form while lr is constant;
    # they part when the learning rate changes, since Keras keeps lr inside m.)
    "momentum": [[0.995, -1.99], [0.988, -1.986], [0.9917, -2.0024]],
    # nesterov: w ← w + 0.9·m - 0.01·g. Step 1: m = -0.005, w = 1 - 0.0045 - 0.005 = 0.9905.
    "nesterov": [[0.9905, -1.981], [0.9817, -1.9824], [0.99503, -2.01716]],
    # lr=0.001, ρ=0.9, ε=1e-7 inside the root. Step 1: v = 0.1·0.25 = 0.025,
    # w = 1 - 0.001·0.5/√(0.025 + 1e-7) = 1 - 0.0031622713 = 0.9968377287.
    "rmsprop": [
        [0.9968377286643679, -1.9968377239209694],
        [0.9953633116670202, -1.9983121428414667],
        [0.9981818898482576, -2.0011307218623995],
    ],
    # lr=0.001, s₀=0.1, ε=1e-7 inside the root. Step 1: s = 0.1 + 0.25 = 0.35,
    # w = 1 - 0.001·0.5/√0.3500001 = 1 - 0.000845154 = 0.999154846.
    "adagrad": [
        [0.9991548458660078, -1.9990465374540936],
        [0.9987655964411087, -1.9994768689210674],
        [0.9996070027351478, -2.0003415443153205],
    ],
    # lr=0.001, ρ=0.95, ε=1e-7. Step 1: E[g²] = 0.05·0.25 = 0.0125,
    # Δ = -√1e-7·0.5/√0.0125001 = -0.00141421, w = 1 + 0.001·Δ = 0.99999858579.
    "adadelta": [
        [0.9999985857920944, -1.999998585787852],
        [0.9999976729260339, -1.999999498657564],
        [0.9999995921715645, -2.0000014179078773],
    ],
    # lr=0.001, β=(0.9, 0.999), ε=1e-7 added AFTER folding the bias correction into the step.
    # Step 1: m = 0.1·g, √v = √0.001·|g|, α₁ = 0.001·√0.001/0.1, so
    # w = 1 - 0.001·0.5/(0.5 + 1e-7/√0.001) = 1 - 0.001·(1 - 6.3245e-6) = 0.9990000063245.
    # (torch's Adam, ε = 1e-8 outside the correction, gives 0.99900000002.)
    "adam": [
        [0.9990000063245154, -1.9990000031622677],
        [0.998067831960989, -1.9987336668762214],
        [0.9982741884184675, -1.9991909980349165],
    ],
    # adam plus w ← w - w·0.004·0.001 first: step 1 subtracts a further 4e-6·w.
    "adamw": [
        [0.9989960063245154, -1.9989920031622677],
        [0.9980598359769637, -1.9987176709082088],
        [0.9982622001950983, -1.9991670071962202],
    ],
    # μ_t = 0.9·(1 - ½·0.96ᵗ): μ₁ = 0.468, μ₂ = 0.485280, Π₁ = 0.468. Step 1 (g = 0.5):
    # m̂ = μ₂·0.05/(1 - 0.468·μ₂) + 0.532·0.5/(1 - 0.468) = 0.0313941 + 0.5,
    # v̂ = 0.25, w = 1 - 0.001·0.5313941/(0.5 + 1e-7) = 0.998937212.
    "nadam": [
        [0.9989372124092487, -1.99893721230297],
        [0.998415630760211, -1.9993298075135904],
        [0.9992961451155622, -2.000247748081864],
    ],
    # Step 1: m = 0.05, u = 0.5, w = 1 - 0.001·0.05/(0.1·(0.5 + 1e-7)) = 0.9990000002.
    "adamax": [
        [0.9990000001999999, -1.9990000001],
        [0.9982624206627154, -1.9987892630682524],
        [0.9983989520143759, -1.9990918460789535],
    ],
}


def test_golden_covers_every_keras_port():
    ported = {i.name for i in OPTIMIZERS if i.keras_class is not i.torch_class}
    assert ported == set(GOLDEN)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_keras_golden_three_steps(name):
    w = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float64))
    opt = build_optimizer(parse_optimizer(name, profile="keras"), [w])
    for step, (grad, expected) in enumerate(zip(GRADS, GOLDEN[name], strict=True)):
        w.grad = torch.tensor(grad, dtype=torch.float64)
        opt.step()
        torch.testing.assert_close(
            w.detach(),
            torch.tensor(expected, dtype=torch.float64),
            rtol=1e-13,
            atol=1e-15,
            msg=f"{name} step {step + 1}",
        )


# ---- an independent numpy re-implementation of the Keras 3 rules (float64) ----------------


def _np_sgd(w, g, s, t, h):
    if h["momentum"] == 0:
        return w - g * h["lr"]
    s["m"] = s.get("m", 0 * w) * h["momentum"] - g * h["lr"]
    if h["nesterov"]:
        return w + s["m"] * h["momentum"] - g * h["lr"]
    return w + s["m"]


def _np_rmsprop(w, g, s, t, h):
    rho = h["alpha"]
    s["v"] = rho * s.get("v", 0 * w) + (1 - rho) * g**2
    if h["centered"]:
        s["a"] = rho * s.get("a", 0 * w) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + h["eps"]
    else:
        denominator = s["v"] + h["eps"]
    increment = h["lr"] * g / np.sqrt(denominator)
    if h["momentum"] > 0:
        s["b"] = h["momentum"] * s.get("b", 0 * w) + increment
        return w - s["b"]
    return w - increment


def _np_adagrad(w, g, s, t, h):
    s["acc"] = s.get("acc", 0 * w + h["initial_accumulator_value"]) + g**2
    return w - h["lr"] * g / np.sqrt(s["acc"] + h["eps"])


def _np_adadelta(w, g, s, t, h):
    rho, eps = h["rho"], h["eps"]
    s["g2"] = rho * s.get("g2", 0 * w) + (1 - rho) * g**2
    delta = -np.sqrt(s.get("d2", 0 * w) + eps) * g / np.sqrt(s["g2"] + eps)
    s["d2"] = rho * s.get("d2", 0 * w) + (1 - rho) * delta**2
    return w + h["lr"] * delta


def _np_adam(w, g, s, t, h):
    b1, b2 = h["betas"]
    s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
    s["v"] = s.get("v", 0 * w) + (g**2 - s.get("v", 0 * w)) * (1 - b2)
    v = s["v"]
    if h["amsgrad"]:
        s["vhat"] = v = np.maximum(s.get("vhat", 0 * w), s["v"])
    alpha = h["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
    return w - s["m"] * alpha / (np.sqrt(v) + h["eps"])


def _np_nadam(w, g, s, t, h):
    b1, b2 = h["betas"]
    u_t, u_next = b1 * (1 - 0.5 * 0.96**t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
    s["prod"] = s.get("prod", 1.0) * u_t
    s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
    s["v"] = s.get("v", 0 * w) + (g**2 - s.get("v", 0 * w)) * (1 - b2)
    m_hat = u_next * s["m"] / (1 - s["prod"] * u_next) + (1 - u_t) * g / (1 - s["prod"])
    v_hat = s["v"] / (1 - b2**t)
    return w - m_hat * h["lr"] / (np.sqrt(v_hat) + h["eps"])


def _np_adamax(w, g, s, t, h):
    b1, b2 = h["betas"]
    s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
    s["u"] = np.maximum(b2 * s.get("u", 0 * w), np.abs(g))
    return w - h["lr"] * s["m"] / ((1 - b1**t) * (s["u"] + h["eps"]))


NUMPY_RULES = {
    "sgd": _np_sgd,
    "momentum": _np_sgd,
    "nesterov": _np_sgd,
    "rmsprop": _np_rmsprop,
    "adagrad": _np_adagrad,
    "adadelta": _np_adadelta,
    "adam": _np_adam,
    "adamw": _np_adam,
    "nadam": _np_nadam,
    "adamax": _np_adamax,
}

MULTI_STEP = [
    "sgd:lr=0.05",
    "sgd:lr=0.05,weight_decay=0.1",
    "momentum:lr=0.02",
    "nesterov:lr=0.02",
    "momentum:lr=0.02,weight_decay=0.05",
    "rmsprop:lr=0.01",
    "rmsprop:lr=0.01,centered=true,momentum=0.5",
    "rmsprop:lr=0.01,momentum=0.9",
    "adagrad:lr=0.1",
    "adadelta:lr=1.0",
    "adadelta:lr=1.0,rho=0.9,eps=1e-6",
    "adam:lr=0.05",
    "adam:lr=0.05,amsgrad=true,weight_decay=0.01",
    "adamw:lr=0.05",
    "adamw:lr=0.05,weight_decay=0.1",
    "nadam:lr=0.05",
    "nadam:lr=0.05,betas=0.8,0.99",
    "adamax:lr=0.05",
]

# f(W) = ½·Σ a ⊙ (W - c)² on a 2×3 matrix: gradient a ⊙ (W - c), easy to write in numpy too.
A = np.array([[1.0, 2.0, 4.0], [0.5, 8.0, 1.5]])
C = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
W_START = np.array([[0.3, 0.7, -1.2], [2.0, -0.4, 0.9]])


@pytest.mark.parametrize("text", MULTI_STEP)
def test_keras_profile_matches_numpy_rules_for_40_steps(text):
    spec = resolve_optimizer(parse_optimizer(text, profile="keras"))
    h = spec.hparams
    w_np, state = W_START.copy(), {}
    w = torch.nn.Parameter(torch.tensor(W_START))
    opt = build_optimizer(spec, [w])
    a, c = torch.tensor(A), torch.tensor(C)
    for t in range(1, 41):
        opt.zero_grad()
        (0.5 * a * (w - c) ** 2).sum().backward()
        opt.step()
        g_np = A * (w_np - C)
        w_np = w_np - w_np * h["weight_decay"] * h["lr"]  # Keras: decay before every update
        w_np = NUMPY_RULES[spec.name](w_np, g_np, state, t, h)
        np.testing.assert_allclose(
            w.detach().numpy(), w_np, rtol=1e-11, atol=1e-13, err_msg=f"step {t}"
        )
    assert np.abs(w_np - W_START).max() > 1e-3  # it moved


def test_keras_and_torch_profiles_really_differ():
    """Same name, same lr: the profiles must not silently be the same optimizer."""
    paths = {}
    for profile in ("torch", "keras"):
        w = torch.nn.Parameter(torch.tensor(W_START))
        opt = build_optimizer(parse_optimizer("rmsprop:lr=0.01", profile=profile), [w])
        for _ in range(5):
            opt.zero_grad()
            (0.5 * torch.tensor(A) * (w - torch.tensor(C)) ** 2).sum().backward()
            opt.step()
        paths[profile] = w.detach().clone()
    assert not torch.allclose(paths["torch"], paths["keras"], rtol=1e-6)


# -- Fused kernels: Keras Adam/AdamW as fused AdamW, Adagrad/RMSprop as fused Adagrad -----------


def _keras_run(text: str, fused: bool, steps: int = 100) -> list[torch.Tensor]:
    from optbench.optim.keras.base import KerasOptimizer

    torch.manual_seed(0)
    shapes = [(16, 12), (16,), (3, 16)]
    params = [torch.nn.Parameter(torch.randn(s)) for s in shapes]
    opt = build_optimizer(parse_optimizer(text, profile="keras"), params)
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn_like(p) * 0.1
        if fused:
            opt.step()
        else:  # the per-tensor rule, as the base class runs it
            with torch.no_grad():
                for p in params:
                    if not opt.state[p]:
                        opt.state[p]["step"] = 0
                        opt.init_state(p, opt.state[p], opt.param_groups[0])
                KerasOptimizer.step_group(opt, params, opt.param_groups[0])
    return [p.detach().clone() for p in params]


@pytest.mark.parametrize(
    "text",
    [
        "adam",
        "adam:amsgrad=true,weight_decay=0.01",
        "adamw:lr=0.01,weight_decay=0.1",
        "adagrad",
        "adagrad:lr=0.05,weight_decay=0.01",
        "rmsprop",
        "rmsprop:lr=0.01,weight_decay=0.1",
    ],
)
def test_fused_kernels_match_the_per_tensor_rule_in_float32(text):
    for a, b in zip(_keras_run(text, True), _keras_run(text, False), strict=True):
        torch.testing.assert_close(a, b, rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize(
    ("text", "kernel"),
    [("adam", "_fused_adamw_"), ("adagrad", "_fused_adagrad_"), ("rmsprop", "_fused_adagrad_")],
)
def test_on_cpu_the_step_is_one_fused_kernel_call(monkeypatch, text, kernel):
    calls = []
    real = getattr(torch, kernel)
    monkeypatch.setattr(torch, kernel, lambda *a, **k: calls.append(1) or real(*a, **k))
    _keras_run(text, True, steps=3)
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("text", "key", "to_old"),
    [
        ("adagrad:lr=0.1", "accumulator_plus_eps", lambda u: ("accumulator", u - 1e-7)),
        ("rmsprop:lr=0.1", "scaled_velocity", lambda u: ("velocity", u * (1 - 0.9) - 1e-7)),
    ],
)
def test_checkpoints_of_the_keras_state_layout_resume_the_same_run(text, key, to_old):
    """Earlier versions kept Keras' own state (s, v), not the shifted one: resuming such a
    checkpoint continues the same run."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(5))
    opt = build_optimizer(parse_optimizer(text, profile="keras"), [w])
    w.grad = torch.randn(5)
    opt.step()
    saved = opt.state_dict()
    old = {**saved, "state": {0: dict(saved["state"][0])}}
    name, value = to_old(old["state"][0].pop(key))
    old["state"][0][name] = value
    paths = []
    for state in (saved, old):
        v = torch.nn.Parameter(w.detach().clone())
        again = build_optimizer(parse_optimizer(text, profile="keras"), [v])
        again.load_state_dict(state)
        v.grad = torch.ones(5)
        again.step()
        paths.append(v.detach())
    assert not torch.equal(paths[0], w.detach())  # it stepped
    torch.testing.assert_close(paths[0], paths[1], rtol=1e-6, atol=1e-7)


def test_mixed_dtypes_take_the_per_tensor_path(monkeypatch):
    calls = []
    monkeypatch.setattr(torch, "_fused_adamw_", lambda *a, **k: calls.append(1))
    params = [torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2).double())]
    opt = build_optimizer(parse_optimizer("adam", profile="keras"), params)
    for p in params:
        p.grad = torch.ones_like(p)
    opt.step()
    assert calls == []  # not fused…
    assert all(float(p.detach()[0]) < 1.0 for p in params)  # …but stepped
