"""The torch profile's RMSprop (optim/rmsprop.py): torch.optim.RMSprop's rule on torch's fused
Adam kernel — equal to torch's loop in float64 (rule) and float32 (round-off), taken only where
the rule allows, with torch's state so checkpoints stay interchangeable."""

from __future__ import annotations

import pytest
import torch

from optbench.optim import build_optimizer, parse_optimizer
from optbench.optim import rmsprop as ours

SHAPES = [(7, 5), (5,), (3, 2, 4)]


def _grads(step: int, dtype: torch.dtype) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(step)
    return [torch.randn(s, generator=g, dtype=dtype) for s in SHAPES]


def _pair(dtype, **hparams):
    start = [t.requires_grad_() for t in _grads(0, dtype)]
    mine = [t.detach().clone().requires_grad_() for t in start]
    theirs = [t.detach().clone().requires_grad_() for t in start]
    return (
        mine,
        ours.RMSprop(mine, **hparams),
        theirs,
        torch.optim.RMSprop(theirs, **hparams, foreach=False),
    )


def _run(mine, opt, theirs, ref, dtype, steps=60):
    for step in range(1, steps + 1):
        for a, b, g in zip(mine, theirs, _grads(step, dtype), strict=True):
            a.grad, b.grad = g.clone(), g.clone()
        opt.step()
        ref.step()


def test_the_fused_rule_is_torchs_rule_in_float64(monkeypatch):
    # the fused path itself, in float64, where step() would take torch's loop
    monkeypatch.setattr(ours, "KERNEL_DTYPES", (torch.float64,))
    calls = []
    real = ours.fused_adam
    monkeypatch.setattr(ours, "fused_adam", lambda *a, **k: calls.append(1) or real(*a, **k))
    mine, opt, theirs, ref = _pair(torch.float64, lr=0.01, alpha=0.9, eps=1e-6)
    _run(mine, opt, theirs, ref, torch.float64)
    assert len(calls) == 60
    for a, b in zip(mine, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-15)


def test_float32_takes_the_fused_kernel_and_agrees_to_round_off(monkeypatch):
    calls = []
    real = ours.fused_adam
    monkeypatch.setattr(ours, "fused_adam", lambda *a, **k: calls.append(1) or real(*a, **k))
    mine, opt, theirs, ref = _pair(torch.float32, lr=0.01)
    _run(mine, opt, theirs, ref, torch.float32)
    assert len(calls) == 60
    for a, b in zip(mine, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=2e-5, atol=2e-6)
    assert set(opt.state_dict()["state"][0]) == set(ref.state_dict()["state"][0])


@pytest.mark.parametrize("hparams", [{"momentum": 0.5}, {"centered": True}, {"weight_decay": 0.01}])
def test_other_variants_take_torchs_loop(monkeypatch, hparams):
    monkeypatch.setattr(ours, "fused_adam", lambda *a, **k: pytest.fail("fused path taken"))
    mine, opt, theirs, ref = _pair(torch.float32, lr=0.01, **hparams)
    _run(mine, opt, theirs, ref, torch.float32, steps=5)
    for a, b in zip(mine, theirs, strict=True):
        assert torch.equal(a, b)


def test_the_torch_profile_builds_it():
    p = torch.nn.Parameter(torch.zeros(3))
    assert isinstance(build_optimizer(parse_optimizer("rmsprop"), [p]), ours.RMSprop)


@pytest.mark.parametrize("alias", [False, True], ids=["adam", "rmsprop-average-is-grad"])
def test_fused_adam_is_torchs_fused_adam_kernel_bit_for_bit(alias):
    # fused_adam calls the AdamW kernel with wd = 0; on the seed MLP's shapes that must be
    # exactly torch's own Adam kernel (no decay applied, nothing reordered).
    from optbench.optim.torch_private import fused_adam

    gen = torch.Generator().manual_seed(0)
    shapes = [(128, 784), (128,), (10, 128), (10,)]

    def tensors(scale=1.0, positive=False):
        made = [torch.randn(s, generator=gen) * scale for s in shapes]
        return [t.abs() for t in made] if positive else made

    params, grads, avgs, sqs = tensors(), tensors(), tensors(), tensors(1e-3, positive=True)
    ours_side = [[t.clone() for t in ts] for ts in (params, grads, avgs, sqs)]
    torch_side = [[t.clone() for t in ts] for ts in (params, grads, avgs, sqs)]
    beta1 = 0.0 if alias else 0.9
    for step in range(1, 6):
        for (p, g, m, v), run in ((ours_side, "ours"), (torch_side, "torch")):
            m_used = g if alias else m
            if run == "ours":
                fused_adam(p, g, m_used, v, step, lr=1e-3, beta1=beta1, beta2=0.99, eps=1e-7)
            else:
                count = torch.full((), float(step))
                torch._fused_adam_(p, g, m_used, v, [], [count] * len(p), lr=1e-3, beta1=beta1,
                                   beta2=0.99, weight_decay=0.0, eps=1e-7, amsgrad=False,
                                   maximize=False)  # fmt: skip
    for mine, theirs in zip(ours_side, torch_side, strict=True):
        assert all(torch.equal(a, b) for a, b in zip(mine, theirs, strict=True))
