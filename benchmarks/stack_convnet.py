"""Would stacking pay for the convnet? R replicas as one vmap(functional_call) step vs R steps.

    python benchmarks/stack_convnet.py [--replicas 3] [--device cpu]

The built-in convnet on Fashion-MNIST shapes (1×28×28, batch 64, hidden 64), one thread on
the CPU. Prints the time of one training step (forward, cross-entropy, backward) for the
stacked replicas and for the same replicas one after another, and whether the stacked
replica's numbers equal those it has in a stack of one (what hand-off and resume rely on).
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, vmap

from optbench.core.specs import ModelSpec
from optbench.models import build_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = torch.device(args.device)
    spec = ModelSpec(name="convnet", hidden=(64,))
    models = [build_model(spec, (1, 28, 28), 10, seed=s).to(device) for s in range(args.replicas)]
    x = torch.rand(64, 1, 28, 28, device=device)
    y = torch.randint(0, 10, (64,), device=device)
    names = [n for n, _ in models[0].named_parameters()]

    def stacked_step(group):
        params = {
            n: torch.stack([dict(m.named_parameters())[n].detach() for m in group]).requires_grad_()
            for n in names
        }
        one = lambda p, xb: functional_call(models[0], p, (xb,))  # noqa: E731
        logits = vmap(one, in_dims=(0, None))(params, x)
        losses = F.cross_entropy(logits.flatten(0, 1), y.repeat(len(group)), reduction="none")
        losses.view(len(group), -1).mean(1).sum().backward()
        return logits.detach(), params

    def separate_steps():
        for m in models:
            m.zero_grad()
            F.cross_entropy(m(x), y).backward()

    def timed(step) -> float:
        step()  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(args.repeats):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / args.repeats * 1e3

    alone, _ = stacked_step(models[:1])
    together, _ = stacked_step(models)
    stacked_ms = timed(lambda: stacked_step(models))
    separate_ms = timed(separate_steps)
    print(f"convnet, batch 64, {args.replicas} replicas, {device}, 1 thread")
    print(f"stacked (vmap) step      {stacked_ms:8.1f} ms")
    print(f"separate steps, summed   {separate_ms:8.1f} ms")
    print(f"stacked / separate       {stacked_ms / separate_ms:8.2f}")
    same = torch.equal(alone[0], together[0])
    print(f"replica 0 equal in a stack of 1 and of {args.replicas}: {same}")


if __name__ == "__main__":
    main()
