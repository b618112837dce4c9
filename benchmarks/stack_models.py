"""Would stacking pay for a model? R replicas as one vmap(functional_call) step vs R steps.

    python benchmarks/stack_models.py [--replicas 3] [--device cpu]

For the built-in convnet and for user models (the examples' CNN and character transformer, a
small user MLP), one training step (forward, loss, backward) of R stacked replicas against the
same R replicas one after another, one thread on the CPU, and whether a replica's numbers in
the stack equal those it has in a stack of one (what optbench's reproducibility requires:
docs/reproducibility.md). optbench groups user models only where both hold — stacking pays and
keeps the numbers — which on this CPU is nowhere: each trial trains on its own (a group of one).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "tests" / "usercode"))

import char_lm  # noqa: E402
import fashion_cnn  # noqa: E402
import user_code  # noqa: E402

from optbench.core.specs import ModelSpec  # noqa: E402
from optbench.models import build_model  # noqa: E402

Build = Callable[[int], nn.Module]


def cases(device: torch.device) -> list[tuple[str, Build, torch.Tensor, torch.Tensor]]:
    """(name, seed → model, a batch x, its targets y)."""
    image = torch.rand(64, 28, 28, device=device)
    labels = torch.randint(0, 10, (64,), device=device)
    tokens = torch.randint(0, 90, (64, 64), device=device)
    rows = torch.rand(64, 5, device=device)
    return [
        (
            "convnet (built-in)",
            lambda s: build_model(ModelSpec(name="convnet", hidden=(64,)), (1, 28, 28), 10, seed=s),
            image.unsqueeze(1),
            labels,
        ),
        ("CNN (examples/fashion_cnn.py)", lambda s: fashion_cnn.build((28, 28), 10), image, labels),
        ("transformer LM (examples/char_lm.py)", lambda s: char_lm.build((64,), 90), tokens,
         tokens.roll(-1, 1)),
        ("MLP 5-16-3 (a user module)", lambda s: user_code.mlp((5,), 3), rows,
         torch.randint(0, 3, (64,), device=device)),
    ]  # fmt: skip


def loss_of(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _without_dropout(model: nn.Module) -> nn.Module:
    """Training mode (the fused inference kernels have no backward) with dropout off, so a
    replica's numbers can be compared bit for bit."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
        if isinstance(m, nn.MultiheadAttention):
            m.dropout = 0.0
    return model.train()


def measure(name: str, build: Build, x, y, replicas: int, repeats: int, device) -> None:
    models = []
    for seed in range(replicas):
        torch.manual_seed(seed)
        models.append(_without_dropout(build(seed).to(device)))
    names = [n for n, _ in models[0].named_parameters()]

    def stacked(group: list[nn.Module]) -> torch.Tensor:
        params = {
            n: torch.stack([dict(m.named_parameters())[n].detach() for m in group]).requires_grad_()
            for n in names
        }
        one = lambda p, xb: functional_call(models[0], p, (xb,))  # noqa: E731
        logits = vmap(one, in_dims=(0, None), randomness="different")(params, x)
        torch.stack([loss_of(out, y) for out in logits]).sum().backward()
        return logits.detach()

    def separate() -> None:
        for m in models:
            m.zero_grad()
            loss_of(m(x), y).backward()

    def timed(step: Callable[[], object]) -> float:
        step()
        start = time.perf_counter()
        for _ in range(repeats):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / repeats * 1e3

    same = torch.equal(stacked(models[:1])[0], stacked(models)[0])
    stacked_ms, separate_ms = timed(lambda: stacked(models)), timed(separate)
    print(
        f"| {name} | {stacked_ms:.1f} | {separate_ms:.1f} | {stacked_ms / separate_ms:.2f} "
        f"| {same} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = torch.device(args.device)
    print(f"{args.replicas} replicas, batch 64, {device}, 1 thread\n")
    print("| model | stacked (vmap) ms | separate, summed ms | stacked / separate | "
          "replica 0 equal in a stack of 1 and of R |")
    print("|---|--:|--:|--:|---|")
    for name, build, x, y in cases(device):
        measure(name, build, x, y, args.replicas, args.repeats, device)


if __name__ == "__main__":
    main()
