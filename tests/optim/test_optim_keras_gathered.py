"""The Keras optimizers' fused steps reuse a group's gathered tensors while they are the same
objects (the stacked engine writes gradients in place), and gather again whenever one is
replaced: a new .grad, a loaded state dict, a replaced buffer."""

from __future__ import annotations

import copy

import pytest
import torch

from optbench import native
from optbench.optim import build_optimizer, parse_optimizer

FUSED = ["adam", "adam:amsgrad=true", "adagrad", "rmsprop", "adamw:weight_decay=0.1"]
if native.status().loaded:  # the native kernels' classes gather the same way
    FUSED += ["sgd", "momentum", "nesterov", "adadelta", "nadam", "adamax"]
SHAPES = [(16, 12), (16,), (3, 16)]


def make(text: str, seed: int = 0) -> tuple[list[torch.nn.Parameter], torch.optim.Optimizer]:
    torch.manual_seed(seed)
    params = [torch.nn.Parameter(torch.randn(s)) for s in SHAPES]
    for p in params:
        p.grad = torch.zeros_like(p)
    return params, build_optimizer(parse_optimizer(text, profile="keras"), params)


def grads_for(step: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1000 + step)
    return [torch.randn(s, generator=generator) * 0.1 for s in SHAPES]


def run(params, opt, steps: range, *, in_place: bool) -> None:
    for step in steps:
        for p, g in zip(params, grads_for(step), strict=True):
            if in_place:
                p.grad.copy_(g)  # as the stacked engine does: same tensor object
            else:
                p.grad = g.clone()  # a new object every step: gathered anew
        opt.step()


@pytest.mark.parametrize("text", FUSED)
def test_reused_tensors_give_the_same_steps_bit_for_bit(text: str) -> None:
    reused, fresh = make(text), make(text)
    run(*reused, range(30), in_place=True)
    run(*fresh, range(30), in_place=False)
    for a, b in zip(reused[0], fresh[0], strict=True):
        assert torch.equal(a, b)
    assert reused[1].state_dict()["state"][0]["step"] == 30


@pytest.mark.parametrize("text", FUSED)
def test_gathered_once_while_nothing_is_replaced(text: str) -> None:
    params, opt = make(text)
    run(params, opt, range(2), in_place=True)
    gathered = opt._gathered[0]
    run(params, opt, range(2, 5), in_place=True)
    assert opt._gathered[0] is gathered
    params[1].grad = params[1].grad.clone()  # a new gradient object
    run(params, opt, range(5, 6), in_place=True)
    assert opt._gathered[0] is not gathered


@pytest.mark.parametrize("text", FUSED)
def test_a_loaded_state_dict_is_what_the_next_step_updates(text: str) -> None:
    params, opt = make(text)
    run(params, opt, range(3), in_place=True)
    saved = copy.deepcopy(opt.state_dict())  # state_dict() shares the live tensors
    weights = [p.detach().clone() for p in params]
    run(params, opt, range(3, 6), in_place=True)  # moves on, then goes back
    with torch.no_grad():
        for p, w in zip(params, weights, strict=True):
            p.copy_(w)
    opt.load_state_dict(copy.deepcopy(saved))
    run(params, opt, range(3, 4), in_place=True)

    again, other = make(text, seed=1)
    with torch.no_grad():
        for p, w in zip(again, weights, strict=True):
            p.copy_(w)
    other.load_state_dict(copy.deepcopy(saved))
    run(again, other, range(3, 4), in_place=True)
    for a, b in zip(params, again, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("text", "buffer"),
    [("adam", "momentum"), ("adagrad", "accumulator_plus_eps"), ("rmsprop", "scaled_velocity")],
)
def test_a_replaced_buffer_is_the_one_updated(text: str, buffer: str) -> None:
    params, opt = make(text)
    run(params, opt, range(2), in_place=True)
    old = opt.state[params[0]][buffer]
    new = torch.zeros_like(old)
    opt.state[params[0]][buffer] = new
    before = old.clone()
    run(params, opt, range(2, 3), in_place=True)
    assert torch.equal(old, before)  # the replaced tensor is left alone
    assert not torch.equal(new, torch.zeros_like(new))  # the new one was stepped


def test_a_parameter_without_gradient_takes_the_per_tensor_path() -> None:
    params, opt = make("adam")
    run(params, opt, range(2), in_place=True)
    params[2].grad = None
    frozen = params[2].detach().clone()
    for p, g in zip(params[:2], grads_for(2), strict=False):
        p.grad.copy_(g)
    opt.step()
    assert torch.equal(params[2], frozen)
    assert opt.state[params[0]]["step"] == 3 and opt.state[params[2]]["step"] == 2
    assert 0 not in opt._gathered
