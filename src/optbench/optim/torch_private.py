"""Every use optbench makes of torch's private API, in one place, each with its measured gain.

A torch upgrade that changes any of these is one file to fix; each part falls back to the
public path when what it expects is not there.

1. **Fused kernels** (`torch._fused_adam_`, `torch._fused_adamw_`, `torch._fused_adagrad_`):
   the Keras ports (optim/keras/) and the torch profile's RMSprop (optim/rmsprop.py) step a
   whole parameter group in one kernel instead of several small operations per tensor (~4×
   faster steps on the seed MLP). Beside each is the plain per-tensor rule it
   computes; tests/optim/test_optim_kernels.py checks kernel against rule in float64.
2. **The step without its wrapper** (`plain_step`): torch.optim wraps every `step` in a
   profiler range and hook look-ups (~16 µs of a ~60 µs Adam step), and torch.optim's own
   classes in a second wrapper that imports torch._dynamo on its first call (~1 s in every
   process). While no hook is registered and no profiler records, the plain step does the
   same thing.
3. **The fused step straight to its kernel** (`kernel_call`): torch.optim's Adam, AdamW and
   Adagrad with `fused=True` end their step in one kernel call on lists of the group's
   tensors, which the step rebuilds from the state every time; the kernel call on lists
   gathered once is ~20 µs of a ~77 µs Adam step faster on the seed MLP, bit-identical
   (tests/optim/test_plain_step.py, on the seed MLP). Counting the step in one add on the
   counts' shared tensor (`share_step_counts`) and switching grad mode without
   torch.no_grad()'s objects took ~8 µs more off (benchmarks/optimizer_steps.py: Adam 65 → 57,
   Adagrad 53 → 44 µs).
4. **No torch._dynamo import** (`skip_dynamo_import`): torch.optim marks its methods and
   functional kernels "never compile", importing torch._dynamo (~1 s) to do so on first call;
   while nothing is being compiled, the unmarked function is that function.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.optim.optimizer as torch_optimizer
from torch import Tensor

from optbench.optim.native_update import Gathered, reuse_or_gather


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


def fused_adam(
    params: Sequence[Tensor],
    grads: Sequence[Tensor],
    exp_avgs: Sequence[Tensor],
    exp_avg_sqs: Sequence[Tensor],
    step: int,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> None:
    """One Adam step of every tensor (no weight decay, no amsgrad), in place: `fused_adamw`
    with wd = 0, which skips the decay (bit-identical to torch's `_fused_adam_` then, checked
    on the seed MLP's shapes). `exp_avgs` may be the gradients themselves when β₁ = 0 (the
    average is then the gradient: RMSprop, optim/rmsprop.py)."""
    fused_adamw(params, grads, exp_avgs, exp_avg_sqs, [], step, lr=lr, beta1=beta1,
                beta2=beta2, weight_decay=0.0, eps=eps, amsgrad=False)  # fmt: skip


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


# -- step counts ------------------------------------------------------------------------------


def share_step_counts(fused: Gathered) -> None:
    """Make the state's 0-d "step" counts (torch.optim's) views of one tensor, so that
    `count_step` adds 1 to all of them in one operation: torch's `_foreach_add_` over the seed
    MLP's four counts took ~7 µs of a ~64 µs Adam step, one `add_` ~1.5 µs. Same values, dtype
    and device: what a step computes does not change, and a state dict saves and loads them
    like any tensors (tests/optim/test_plain_step.py)."""
    steps = fused.buffers.get("step")
    if not steps:
        return
    fused.counter = _shared_base(steps)
    if fused.counter is not None:  # shared at an earlier gather (new .grad tensors since)
        return
    first = steps[0]
    if not all(
        isinstance(t, Tensor) and t.dim() == 0 and t.dtype == first.dtype
        and t.device == first.device and not t.requires_grad
        for t in steps
    ):  # fmt: skip
        return
    fused.counter = torch.stack(steps)
    views = list(fused.counter.unbind())
    for state, view in zip(fused.states, views, strict=True):
        state["step"] = view
    fused.buffers["step"] = views


def count_step(fused: Gathered) -> None:
    """Every "step" count + 1, as torch.optim counts them (`_foreach_add_`)."""
    if fused.counter is not None:
        fused.counter.add_(1)
    else:
        torch._foreach_add_(fused.buffers["step"], 1)


def _shared_base(steps: list[Tensor]) -> Tensor | None:
    """The tensor `share_step_counts` made `steps` views of, if each is still one of its
    elements and together they are all of them (one add on it adds 1 to each count once)."""
    base = steps[0]._base if isinstance(steps[0], Tensor) else None
    if base is None or base.dim() != 1 or base.numel() != len(steps) or not base.is_contiguous():
        return None
    offsets = {
        t.storage_offset()
        for t in steps
        if isinstance(t, Tensor) and t._base is base and t.dim() == 0
    }
    return base if len(offsets) == len(steps) else None


# -- the step without its wrappers -----------------------------------------------------------


def plain_step(optimizer: torch.optim.Optimizer) -> Callable[[], Any]:
    """A no-argument callable equal to `optimizer.step()`, minus torch's wrappers while no step
    hook is registered (on the optimizer or globally) and no profiler records; checked at
    every call, so a hook added mid-run still runs. Measured gain: 1.12 s
    on the README command (benchmarks/results/tricks.md)."""
    inner = getattr(type(optimizer).step, "__wrapped__", None)
    hooks = (
        getattr(torch_optimizer, "_global_optimizer_pre_hooks", None),
        getattr(torch_optimizer, "_global_optimizer_post_hooks", None),
        getattr(optimizer, "_optimizer_step_pre_hooks", None),
        getattr(optimizer, "_optimizer_step_post_hooks", None),
    )
    if inner is None or any(h is None for h in hooks):  # not the wrapper this was written for
        return optimizer.step
    innermost = _without_grad_wrapper(inner, optimizer)
    direct = kernel_call(optimizer)

    def step() -> Any:
        if any(hooks) or torch.autograd._profiler_enabled():
            return optimizer.step()
        if direct is not None and direct():
            return None
        return innermost()

    return step


def kernel_call(optimizer: torch.optim.Optimizer) -> Callable[[], bool] | None:
    """For torch.optim's own Adam, AdamW and Adagrad (not subclasses: they may step otherwise),
    a callable that makes the fused kernel call their `step` would make, on the group's
    tensors gathered once, and says whether it could: one param group with `fused=True`, a
    float lr, no AMP grad scaler, and every parameter with a dense gradient and its state
    (torch's own first step creates it). Otherwise it declines and the step is torch's."""
    kernel = _KERNEL_CALLS.get(type(optimizer))
    if kernel is None:
        return None
    buffers, call = kernel

    def gather(group: dict[str, Any]) -> Gathered | None:
        params, names = group["params"], buffers(group)
        ready = all(
            p.grad is not None
            and not p.grad.is_sparse
            and p.grad.dtype == p.dtype
            and all(name in optimizer.state.get(p, ()) for name in names)
            for p in params
        )
        if not ready:
            return None
        fused = Gathered.gather(params, optimizer.state, names)
        share_step_counts(fused)
        return fused

    def direct() -> bool:
        if len(optimizer.param_groups) != 1 or getattr(optimizer, "grad_scale", None) is not None:
            return False
        group = optimizer.param_groups[0]
        if not group["fused"] or group["differentiable"] or isinstance(group["lr"], Tensor):
            return False
        fused = reuse_or_gather(optimizer, 0, group["params"], gather, group)
        if fused is None or getattr(optimizer, "found_inf", None) is not None:
            return False
        # As torch's step: grad mode off, count, then the kernel. torch.no_grad() as a context
        # costs ~1.4 µs a step (two Python objects); the switch it makes, ~0.2 µs.
        enabled = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        try:
            count_step(fused)
            call(fused, group)
        finally:
            torch._C._set_grad_enabled(enabled)
        return True

    return direct


def _adam_call(fused: Gathered, group: dict[str, Any], decoupled: bool = False) -> None:
    """torch's `_fused_adam` (AdamW: `decoupled`, or torch's own flag on Adam's group)."""
    decoupled = decoupled or group.get("decoupled_weight_decay", False)
    kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_
    beta1, beta2 = group["betas"]
    kernel(
        fused.params,
        fused.grads,
        fused.buffers["exp_avg"],
        fused.buffers["exp_avg_sq"],
        fused.buffers.get("max_exp_avg_sq", []),
        fused.buffers["step"],
        amsgrad=group["amsgrad"],
        lr=group["lr"],
        beta1=beta1,
        beta2=beta2,
        weight_decay=group["weight_decay"],
        eps=group["eps"],
        maximize=group["maximize"],
    )


def _adagrad_call(fused: Gathered, group: dict[str, Any]) -> None:
    torch._fused_adagrad_(
        fused.params,
        fused.grads,
        fused.buffers["sum"],
        fused.buffers["step"],
        lr=group["lr"],
        lr_decay=group["lr_decay"],
        weight_decay=group["weight_decay"],
        eps=group["eps"],
        maximize=group["maximize"],
    )


def _adam_buffers(group: dict[str, Any]) -> tuple[str, ...]:
    return ("step", "exp_avg", "exp_avg_sq", *(("max_exp_avg_sq",) if group["amsgrad"] else ()))


# The classes `kernel_call` steps: the state buffers their kernel reads, and the call; no
# class where this torch lacks the kernels (every step is then torch's own, as before).
_KERNEL_CALLS: dict[type, tuple[Callable[[dict[str, Any]], tuple[str, ...]], Any]] = (
    {
        torch.optim.Adam: (_adam_buffers, _adam_call),
        torch.optim.AdamW: (_adam_buffers, functools.partial(_adam_call, decoupled=True)),
        torch.optim.Adagrad: (lambda _group: ("step", "sum"), _adagrad_call),
    }
    if all(hasattr(torch, k) for k in ("_fused_adam_", "_fused_adamw_", "_fused_adagrad_"))
    else {}
)


def _without_grad_wrapper(inner: Callable[..., Any], optimizer: torch.optim.Optimizer) -> Any:
    """torch.optim's own classes wrap `step` once more (`_use_grad_for_differentiable`: grad
    mode off, and a torch._dynamo import at every call); the plain step under no_grad is the
    same for a non-differentiable optimizer."""
    plain = getattr(inner, "__wrapped__", None)
    if plain is None or getattr(inner, "__code__", None) is not _USE_GRAD_CODE:
        return lambda: inner(optimizer)
    if optimizer.defaults.get("differentiable", False):
        return lambda: inner(optimizer)

    def step() -> Any:
        with torch.no_grad():
            return plain(optimizer)

    return step


_USE_GRAD_CODE = torch_optimizer._use_grad_for_differentiable(lambda: None).__code__


# -- no torch._dynamo import -----------------------------------------------------------------


def skip_dynamo_import() -> None:
    """Mark torch.optim's methods and functional kernels as already "never compiled".

    They are wrapped by torch._compile._disable_dynamo, which imports torch._dynamo on a
    function's first call only to mark it, and caches the marked function on the wrapped one
    as `__dynamo_disable`. While torch._dynamo is not imported nothing is being compiled, so
    the plain function is exactly that: cache it. If a later torch changes the protocol,
    nothing is marked and the import happens as before (tests/optim/test_optim_build.py).
    """
    if "torch._dynamo" in sys.modules:
        return
    methods = list(vars(torch.optim.Optimizer).values())
    functionals = [getattr(module, name, None) for name, module in _FUNCTIONALS.items()]
    for fn in [*methods, *functionals]:
        _mark(fn)


def _mark(fn: Any) -> None:
    """A method `_disable_dynamo` wrapped, or a functional kernel `maybe_fallback` wraps
    (which calls the same wrapper around it): cache the plain function as its marked self."""
    wrapped = getattr(fn, "__wrapped__", None)
    code = getattr(fn, "__code__", None)
    if wrapped is None or (code is not _DISABLE_DYNAMO_CODE and code is not _FALLBACK_CODE):
        return
    if getattr(wrapped, "__dynamo_disable", None) is None:
        wrapped.__dynamo_disable = wrapped  # type: ignore[attr-defined]


# The code objects of the two wrappers, to recognise what they wrapped.
_DISABLE_DYNAMO_CODE = torch._disable_dynamo(lambda: None).__code__
# torch.optim's functional kernels: `torch.optim.adam.adam`, … (modules torch.optim imports)
_FUNCTIONALS = {
    name: sys.modules[f"torch.optim.{name}"]
    for name in ("adam", "adamw", "adagrad", "sgd", "rmsprop", "nadam", "adadelta", "adamax")
    if f"torch.optim.{name}" in sys.modules
}
_FALLBACK_CODE = getattr(getattr(_FUNCTIONALS.get("adam"), "adam", None), "__code__", None)


# -- torch.optim's fused implementations -----------------------------------------------------

# torch.optim classes with a fused kernel for these devices (the `fused=True` flag).
FUSED = {
    torch.optim.Adam: ("cpu", "cuda"),
    torch.optim.AdamW: ("cpu", "cuda"),
    torch.optim.SGD: ("cpu", "cuda"),
    torch.optim.Adagrad: ("cpu",),
}


def fused_flag(cls: type, params: Sequence[Tensor]) -> dict[str, bool]:
    """`{"fused": True}` where torch has a fused kernel for `cls` on these tensors (one
    floating dtype, one device of a kind the kernel supports), else {}."""
    devices = FUSED.get(cls)
    if not devices or not params:
        return {}
    first = params[0]
    same = all(p.device == first.device and p.dtype == first.dtype for p in params)
    supported = same and first.is_floating_point() and first.device.type in devices
    return {"fused": True} if supported else {}
