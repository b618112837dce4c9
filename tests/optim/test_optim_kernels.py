"""torch's fused kernels (optim/torch_private.py) compute the plain rules written beside them, in
float64, over several steps and tensors of several shapes."""

from __future__ import annotations

import pytest
import torch

from optbench.optim.torch_private import adagrad_rule, adamw_rule, fused_adagrad, fused_adamw

SHAPES = [(7, 5), (5,), (3, 2, 4)]


def _tensors(seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_fused_adamw_is_its_rule(amsgrad):
    hp = {"lr": 0.01, "beta1": 0.85, "beta2": 0.97, "weight_decay": 0.05, "eps": 1e-6}
    kernel = [_tensors(0), *([[torch.zeros_like(t) for t in _tensors(0)] for _ in range(3)])]
    plain = [[t.clone() for t in part] for part in kernel]
    for step in range(1, 6):
        grads = _tensors(step)
        p, m, v, vmax = kernel
        fused_adamw(p, grads, m, v, vmax if amsgrad else [], step, amsgrad=amsgrad, **hp)
        for i, g in enumerate(grads):
            pp, pm, pv, pvmax = (part[i] for part in plain)
            adamw_rule(pp, g, pm, pv, pvmax if amsgrad else None, step, **hp)
    for fused, rule in zip(kernel, plain, strict=True):
        for a, b in zip(fused, rule, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-15)


def test_fused_adagrad_is_its_rule():
    params, sums = _tensors(0), [torch.full(s, 0.1, dtype=torch.float64) for s in SHAPES]
    plain_params, plain_sums = [t.clone() for t in params], [t.clone() for t in sums]
    for step in range(1, 6):
        grads = _tensors(step)
        fused_adagrad(params, grads, sums, lr=0.05)
        for p, g, s in zip(plain_params, grads, plain_sums, strict=True):
            adagrad_rule(p, g, s, lr=0.05)
    for a, b in zip(params + sums, plain_params + plain_sums, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-15)
