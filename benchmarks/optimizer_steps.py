"""One optimizer step on the seed MLP (784-128-10: four float32 tensors), every built-in optimizer.

    python benchmarks/optimizer_steps.py [--rounds 21] [--steps 50]

For each optimizer in both profiles, in the same run and interleaved (round after round, every
variant once per round, so a busy moment of the machine falls on all of them alike):

* `native` — what a study runs (`build_optimizer(spec, params)`): torch's fused kernels for
  Adam, AdamW, SGD, Adagrad and RMSprop, optbench's native update kernels (native/updates.cpp)
  for the others;
* `plain` — the same optimizer with `native=False` (`--no-native`): the Python rules;
* `torch.optim` — torch's own class with the same hyperparameters and its defaults (for the
  torch profile: the reference the subclasses match).

Each is timed as the engine calls it (optim/torch_private.py's `plain_step`, torch's profiler
wrapper left out: the same for every variant), with the gradients rewritten in place every step
as the native group step writes them, one torch thread. Prints the median (and the fastest)
µs per step over the rounds and the ratios, and names the CPU; timings move with the machine's
load, ratios much less. `results/optimizer_steps.md` holds a run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from optbench import native
from optbench.core.specs import OptimizerSpec
from optbench.engine.env import cpu_name
from optbench.optim import OPTIMIZERS, build_optimizer, resolve_optimizer
from optbench.optim.torch_private import plain_step

SHAPES = [(128, 784), (128,), (10, 128), (10,)]  # the seed MLP's weights and biases


@dataclass
class Variant:
    """One way to step one optimizer, on its own tensors."""

    step: Callable[[], object]
    params: list[torch.Tensor]
    grads: list[torch.Tensor]
    start: list[torch.Tensor]
    times: list[float] = field(default_factory=list)  # µs per step, one per round


def _tensors(seed: int = 0) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    params = [torch.nn.Parameter(torch.randn(s, generator=g) * 0.05) for s in SHAPES]
    grads = [torch.randn(s, generator=g) * 0.01 for s in SHAPES]
    return params, grads


def _variant(make: Callable[[list[torch.Tensor]], torch.optim.Optimizer]) -> Variant:
    params, grads = _tensors()
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    optimizer = make(params)
    return Variant(plain_step(optimizer), params, grads, [p.detach().clone() for p in params])


def torch_class(name: str) -> type[torch.optim.Optimizer] | None:
    """torch.optim's own class behind the torch profile's entry (None: LARS is ours)."""
    for cls in OPTIMIZERS.get(name).torch_class.__mro__:
        if cls.__module__.startswith("torch.optim") and cls is not torch.optim.Optimizer:
            return cls
    return None


def variants(name: str, profile: str) -> dict[str, Variant]:
    spec = OptimizerSpec(name, {}, profile)
    out = {
        "native": _variant(lambda ps: build_optimizer(spec, ps)),
        "plain": _variant(lambda ps: build_optimizer(spec, ps, native=False)),
    }
    reference = torch_class(name) if profile == "torch" else None
    if reference is not None:
        hparams = resolve_optimizer(spec).hparams
        out["torch.optim"] = _variant(lambda ps: reference(ps, **hparams))
    return out


def measure(variant: Variant, steps: int) -> None:
    """One round: back to the start weights, a few steps to warm up, then `steps` timed."""
    with torch.no_grad():
        for p, w, g in zip(variant.params, variant.start, variant.grads, strict=True):
            p.copy_(w)
            p.grad.copy_(g)  # in place, as the native group step writes gradients
    for _ in range(5):
        variant.step()
    begin = time.perf_counter()
    for _ in range(steps):
        variant.step()
    variant.times.append((time.perf_counter() - begin) / steps * 1e6)


def run(rounds: int, steps: int) -> dict[tuple[str, str], dict[str, Variant]]:
    table = {
        (name, profile): variants(name, profile)
        for profile in ("torch", "keras")
        for name in OPTIMIZERS.names()
    }
    for _ in range(rounds):
        for row in table.values():
            for variant in row.values():
                measure(variant, steps)
    return table


def report(table: dict[tuple[str, str], dict[str, Variant]]) -> str:
    """A Markdown table (readable as it is in a terminal)."""
    status = native.status()
    built = "built" if status.loaded else f"NOT built ({status.detail})"
    lines = [
        f"CPU: {cpu_name()} ({platform.machine()}), torch {torch.__version__}, one thread; "
        f"native code: {built}",
        "µs per step, median over the rounds (fastest round in brackets); ratios of medians.",
        "",
        "| profile | optimizer | native | plain | torch.optim | plain / native "
        "| torch.optim / native |",
        "|---|---|---|---|---|---|---|",
    ]
    for (name, profile), row in table.items():
        median = {k: statistics.median(v.times) for k, v in row.items()}
        cells = [
            f"{median[k]:.0f} ({min(row[k].times):.0f})" if k in row else "—"
            for k in ("native", "plain", "torch.optim")
        ]
        ratios = [
            f"{median[k] / median['native']:.1f}×" if k in row else "—"
            for k in ("plain", "torch.optim")
        ]
        lines.append(f"| {profile} | {name} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--steps", type=int, default=50, help="timed steps per round")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(report(run(args.rounds, args.steps)))


if __name__ == "__main__":
    main()
