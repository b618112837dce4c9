"""torch's fused optimizer kernels, behind one adapter, each beside its plain rule.

The Keras ports (optim/keras/) step a whole parameter group with one of torch's fused CPU/CUDA
kernels instead of six small operations per tensor (~4× faster on the seed MLP). Those kernels
are private torch API (`torch._fused_adamw_`, `torch._fused_adagrad_`): this module is the only
place that calls them, so a torch upgrade that changes them is one file to fix. Beside each is
the plain per-tensor rule it computes, written out; tests/optim/test_optim_kernels.py checks
kernel against rule in float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def fused_adamw(
    params: Sequence[Tensor],
    grads: Sequence[Tensor],
    exp_avgs: Sequence[Tensor],
    exp_avg_sqs: Sequence[Tensor],
    max_exp_avg_sqs: Sequence[Tensor],
    step: int,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    eps: float,
    amsgrad: bool,
) -> None:
    """One AdamW step of every tensor, in place (see `adamw_rule`)."""
    count = torch.full((), float(step), device=params[0].device)
    torch._fused_adamw_(
        list(params),
        list(grads),
        list(exp_avgs),
        list(exp_avg_sqs),
        list(max_exp_avg_sqs),
        [count] * len(params),
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        weight_decay=weight_decay,
        eps=eps,
        amsgrad=amsgrad,
        maximize=False,
    )


def adamw_rule(
    p: Tensor,
    g: Tensor,
    m: Tensor,
    v: Tensor,
    v_max: Tensor | None,
    step: int,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    eps: float,
) -> None:
    """What `fused_adamw` computes for one tensor:

        w ← w·(1 - lr·wd);  m ← m + (1-β₁)(g - m);  v ← β₂·v + (1-β₂)·g²  (amsgrad: v̂ = max)
        w ← w - lr/(1-β₁ᵗ) · m / (√v̂ / √(1-β₂ᵗ) + ε)
    """
    p.mul_(1 - lr * weight_decay)
    m.lerp_(g, 1 - beta1)
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    if v_max is not None:
        torch.maximum(v_max, v, out=v_max)
        v = v_max
    denominator = (v.sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
    p.addcdiv_(m, denominator, value=-lr / (1 - beta1**step))


def fused_adagrad(
    params: Sequence[Tensor], grads: Sequence[Tensor], state_sums: Sequence[Tensor], *, lr: float
) -> None:
    """One Adagrad step of every tensor with ε = 0, no decay and no lr decay, in place:
    s ← s + g²;  w ← w - lr·g/√s (see `adagrad_rule`). CPU tensors only."""
    step = torch.zeros(())  # read only for lr decay, which is 0 here
    torch._fused_adagrad_(
        list(params),
        list(grads),
        list(state_sums),
        [step] * len(params),
        lr=lr,
        lr_decay=0.0,
        weight_decay=0.0,
        eps=0.0,
        maximize=False,
    )


def adagrad_rule(p: Tensor, g: Tensor, s: Tensor, *, lr: float) -> None:
    """What `fused_adagrad` computes for one tensor: s ← s + g²;  w ← w - lr·g/√s."""
    s.addcmul_(g, g)
    p.addcdiv_(g, s.sqrt(), value=-lr)
