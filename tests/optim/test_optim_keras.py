"""keras profile == Keras 3's update rules: a float64 multi-step comparison against a numpy
re-implementation of the rules as the Keras 3 source writes them (including which constants it
casts through float32), and the fused kernels against the per-tensor rules. The comparison
with real Keras 3 itself is tests/optim/test_optim_keras3_goldens.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from optbench.optim import build_optimizer, parse_optimizer, resolve_optimizer


def _k(value: float) -> float:
    """A Python float as Keras' ops.cast gives it to a float64 variable: via float32."""
    return float(np.float32(value))


# ---- an independent numpy re-implementation of the Keras 3 rules (float64) ----------------


def _np_sgd(w, g, s, t, h):
    if h["momentum"] == 0:
        return w - g * h["lr"]
    mu = _k(h["momentum"])
    s["m"] = s.get("m", 0 * w) * mu - g * h["lr"]
    if h["nesterov"]:
        return w + s["m"] * mu - g * h["lr"]
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
    s["acc"] = s.get("acc", 0 * w + _k(h["initial_accumulator_value"])) + g**2
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
    alpha = h["lr"] * math.sqrt(1 - _k(b2) ** t) / (1 - _k(b1) ** t)
    return w - s["m"] * alpha / (np.sqrt(v) + h["eps"])


def _np_nadam(w, g, s, t, h):
    b1, b2 = h["betas"]
    s["prod"] = s.get("prod", 1.0) * b1 * (1 - 0.5 * 0.96**t)  # Keras: β₁ and 0.96 exact here
    b1, b2, decay = _k(b1), _k(b2), _k(0.96)  # ... and through float32 in the update
    u_t, u_next = b1 * (1 - 0.5 * decay**t), b1 * (1 - 0.5 * decay ** (t + 1))
    s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
    s["v"] = s.get("v", 0 * w) + (g**2 - s.get("v", 0 * w)) * (1 - b2)
    m_hat = u_next * s["m"] / (1 - s["prod"] * u_next) + (1 - u_t) * g / (1 - s["prod"])
    v_hat = s["v"] / (1 - b2**t)
    return w - m_hat * h["lr"] / (np.sqrt(v_hat) + h["eps"])


def _np_adamax(w, g, s, t, h):
    b1, b2 = h["betas"]
    s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
    s["u"] = np.maximum(b2 * s.get("u", 0 * w), np.abs(g))
    return w - h["lr"] * s["m"] / ((1 - _k(b1) ** t) * (s["u"] + h["eps"]))


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
        w_np = w_np - w_np * _k(h["weight_decay"]) * h["lr"]  # Keras: decay before each update
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


# -- Fused kernels: Keras Adam/AdamW as fused AdamW, Adagrad/RMSprop as fused Adagrad, the others
# on optbench's native kernels ---------------------------------------------------------------


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
        # optbench's native kernels (native/updates.cpp), where the library is built
        "sgd:weight_decay=0.01",
        "momentum",
        "nesterov:weight_decay=0.01",
        "adadelta:lr=1.0,weight_decay=0.01",
        "nadam:weight_decay=0.01",
        "adamax:weight_decay=0.01",
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
