"""plain_step: optimizer.step without torch's wrappers, unless a hook or profiler needs them."""

from __future__ import annotations

import pytest
import torch
import torch.optim.optimizer as torch_optimizer
from torch import nn

from optbench.core.specs import OptimizerSpec
from optbench.optim import build_optimizer
from optbench.optim.torch_private import plain_step

OPTIMIZERS = [
    OptimizerSpec("adam", {}, "keras"),
    OptimizerSpec("rmsprop", {}, "keras"),
    OptimizerSpec("adam", {}, "torch"),
    OptimizerSpec("lars", {}, "torch"),
]


def _trained(spec: OptimizerSpec, fast: bool, steps: int = 3) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    optimizer = build_optimizer(spec, model.parameters())
    step = plain_step(optimizer) if fast else optimizer.step
    x, y = torch.randn(8, 6), torch.randint(0, 3, (8,))
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("spec", OPTIMIZERS, ids=lambda s: f"{s.profile}-{s.name}")
def test_same_update_as_the_wrapped_step(spec: OptimizerSpec) -> None:
    fast, wrapped = _trained(spec, fast=True), _trained(spec, fast=False)
    assert all(torch.equal(a, b) for a, b in zip(fast, wrapped, strict=True))
    assert not torch.equal(fast[0], _trained(spec, fast=True, steps=2)[0])  # it did step


def _optimizer() -> tuple[torch.optim.Optimizer, nn.Parameter]:
    weight = nn.Parameter(torch.ones(3))
    weight.grad = torch.ones(3)
    return build_optimizer(OptimizerSpec("adam", {}, "keras"), [weight]), weight


def test_skips_the_wrapper_while_nothing_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    optimizer, weight = _optimizer()
    wrapper_calls = []  # the wrapper, and only it, calls _optimizer_step_code after the step
    monkeypatch.setattr(optimizer, "_optimizer_step_code", lambda: wrapper_calls.append(1))
    plain_step(optimizer)()
    assert wrapper_calls == [] and not torch.equal(weight, torch.ones(3))
    optimizer.step()
    assert wrapper_calls == [1]


def test_hooks_registered_later_still_run() -> None:
    optimizer, _ = _optimizer()
    step = plain_step(optimizer)  # taken before any hook exists
    calls: list[str] = []
    own = optimizer.register_step_pre_hook(lambda *_: calls.append("own pre"))
    post = optimizer.register_step_post_hook(lambda *_: calls.append("own post"))
    step()
    own.remove()
    post.remove()
    hook = torch_optimizer.register_optimizer_step_pre_hook(lambda *_: calls.append("global pre"))
    try:
        step()
    finally:
        hook.remove()
    step()  # no hook left: nothing more is called
    assert calls == ["own pre", "own post", "global pre"]


def test_a_profiler_still_sees_the_step() -> None:
    optimizer, _ = _optimizer()
    step = plain_step(optimizer)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    names = {event.key for event in prof.key_averages()}
    assert "Optimizer.step#KerasAdam.step" in names
