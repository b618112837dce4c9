"""LARS against a hand-computed two-step example (You et al. 2017, Algorithm 1)."""

from __future__ import annotations

import pytest
import torch

from optbench.optim import LARS, build_optimizer, parse_optimizer


def _run(opt, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()


def test_two_steps_by_hand():
    # lr γ = 0.1, momentum μ = 0.9, weight decay β = 0.1, trust coefficient η = 0.3, ε = 0.
    w = torch.nn.Parameter(torch.tensor([[3.0, 0.0], [0.0, 4.0]], dtype=torch.float64))
    b = torch.nn.Parameter(torch.tensor([1.0, -1.0], dtype=torch.float64))
    opt = LARS([w, b], lr=0.1, momentum=0.9, weight_decay=0.1, trust_coefficient=0.3, eps=0.0)
    g1 = ([[0.6, 0.0], [0.0, 0.8]], [0.5, 0.5])
    g2 = ([[0.0, 0.3], [0.4, 0.0]], [-1.0, 0.0])

    # Step 1, W: ‖W‖ = 5, ‖G‖ = 1, λ = 0.3·5 / (1 + 0.1·5) = 1.
    #   v = 0.1·1·(G + 0.1·W) = 0.1·[[0.9, 0], [0, 1.2]] = [[0.09, 0], [0, 0.12]]
    #   W = [[2.91, 0], [0, 3.88]]
    # Step 1, bias (ndim 1: no trust ratio, no decay): v = 0.1·g = [0.05, 0.05], b = [0.95, -1.05]
    _run(opt, [w, b], [g1])
    torch.testing.assert_close(w.detach(), torch.tensor([[2.91, 0.0], [0.0, 3.88]]).double())
    torch.testing.assert_close(b.detach(), torch.tensor([0.95, -1.05]).double())

    # Step 2, W: ‖W‖ = √(2.91² + 3.88²) = 4.85, ‖G‖ = 0.5,
    #   λ = 0.3·4.85 / (0.5 + 0.485) = 1.455 / 0.985 = 1.4771573604060912
    #   G + 0.1·W = [[0.291, 0.3], [0.4, 0.388]]
    #   v = 0.9·[[0.09, 0], [0, 0.12]] + 0.1·λ·(G + 0.1·W)
    #     = [[0.12398527918781727, 0.04431472081218274], [0.05908629441624366, 0.16531370558375635]]
    #   W = W - v
    # Step 2, bias: v = 0.9·[0.05, 0.05] + 0.1·[-1, 0] = [-0.055, 0.045], b = [1.005, -1.095]
    _run(opt, [w, b], [g2])
    expected_w = [
        [2.786014720812183, -0.04431472081218274],
        [-0.05908629441624366, 3.7146862944162438],
    ]
    torch.testing.assert_close(w.detach(), torch.tensor(expected_w, dtype=torch.float64))
    torch.testing.assert_close(b.detach(), torch.tensor([1.005, -1.095], dtype=torch.float64))


def test_biases_are_plain_momentum_sgd_without_decay():
    bias = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64))
    ref = torch.nn.Parameter(bias.detach().clone())
    lars = LARS([bias], lr=0.1, momentum=0.9, weight_decay=0.5)
    sgd = torch.optim.SGD([ref], lr=0.1, momentum=0.9)  # same rule while lr is constant
    for k in range(5):
        g = torch.tensor([0.5, -1.0, 0.25 * k], dtype=torch.float64)
        bias.grad, ref.grad = g.clone(), g.clone()
        lars.step()
        sgd.step()
    torch.testing.assert_close(bias, ref)


@pytest.mark.parametrize("zero", ["weights", "gradient"])
def test_zero_norm_gives_trust_ratio_one(zero):
    w0 = torch.zeros(2, 2) if zero == "weights" else torch.ones(2, 2)
    g = torch.zeros(2, 2) if zero == "gradient" else torch.full((2, 2), 0.5)
    w = torch.nn.Parameter(w0.double())
    w.grad = g.double()
    LARS([w], lr=0.1, momentum=0.0, weight_decay=0.2).step()
    # λ = 1: w ← w - lr·(g + β·w)
    torch.testing.assert_close(w.detach(), (w0 - 0.1 * (g + 0.2 * w0)).double())


def test_state_is_one_momentum_buffer_per_parameter():
    w = torch.nn.Parameter(torch.randn(3, 4))
    w.grad = torch.randn(3, 4)
    opt = build_optimizer(parse_optimizer("lars"), [w])
    opt.step()
    state = opt.state[w]
    assert set(state) == {"step", "momentum_buffer"}
    assert state["momentum_buffer"].shape == w.shape
    no_momentum = LARS([w], momentum=0.0)
    no_momentum.step()
    assert set(no_momentum.state[w]) == {"step"}


def test_defaults_are_documented_values():
    spec = build_optimizer(parse_optimizer("lars"), [torch.nn.Parameter(torch.ones(2, 2))])
    assert spec.defaults == {
        "lr": 1.0,
        "momentum": 0.9,
        "weight_decay": 0.0,
        "trust_coefficient": 0.001,
        "eps": 1e-8,
    }


def test_invalid_arguments_raise_value_error():
    with pytest.raises(ValueError, match="`trust_coefficient` must be > 0"):
        LARS([torch.nn.Parameter(torch.ones(2))], trust_coefficient=0.0)
