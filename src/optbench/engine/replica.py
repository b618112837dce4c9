"""A replica: one trial as it trains inside a group — its model, optimizer, batch order,
random stream, monitors and the running totals of the epoch.

Everything that decides a replica's numbers is its own: a fresh model built from its seed, an
optimizer over that model's parameters only, a batch order from its own generator, and a random
stream of its own (dropout and the like). So a replica computes the same whichever group it is
in, and a checkpoint of these (engine/checkpoint.py) continues it exactly, in any process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from optbench.core.specs import Finding, TrialSpec
from optbench.data import Dataset
from optbench.engine.batches import BatchOrder
from optbench.engine.callbacks import Callback, NonFiniteLossGuard, TrialContext
from optbench.engine.checkpoint import Checkpoint, save_checkpoint
from optbench.models import TASKS, LossInfo, Task, build_model
from optbench.optim import build_optimizer
from optbench.optim.torch_private import plain_step

# The replica's own random stream starts from its seed, on a stream apart from the model's
# initialisation (which also starts from the seed) and the batch order's generator.
RANDOM_STREAM_SALT = 0x5EED_0F_D20


@dataclass
class Replica:
    spec: TrialSpec
    model: nn.Module
    optimizer: torch.optim.Optimizer
    step: Callable[[], object]  # optimizer.step, without torch's wrappers (optim/torch_private)
    loss: LossInfo
    task: Task
    order: BatchOrder
    ctx: TrialContext
    callbacks: list[Callback]
    rng: torch.Tensor  # the replica's random stream: the CPU generator's state
    cuda_rng: torch.Tensor | None = None  # and the GPU's, for a replica on a GPU
    reported: int = 0  # findings already sent with an earlier record
    stopped: bool = False
    # The epoch's running sums (models/task.py: batch_sums), float64 on the data's device: no
    # host sync per step. sums[0] counts the items scored, sums[1] their summed loss.
    sums: torch.Tensor = field(default_factory=lambda: torch.zeros(3, dtype=torch.float64))
    norms: list[torch.Tensor] = field(default_factory=list)  # sampled gradient norms
    seconds: float = 0.0  # the epoch's training time, the replica's share of its group's

    @contextmanager
    def random_stream(self) -> Iterator[None]:
        """Run a step on this replica's random stream, and keep where it got to."""
        torch.set_rng_state(self.rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state(self.cuda_rng, self.model_device)
        try:
            yield
        finally:
            self.rng = torch.get_rng_state()
            if self.cuda_rng is not None:
                self.cuda_rng = torch.cuda.get_rng_state(self.model_device)

    @property
    def model_device(self) -> torch.device:
        return self.sums.device

    def add_batch(self, outputs: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor) -> None:
        """Add one batch to the epoch's sums."""
        self.sums += self.task.batch_sums(outputs, labels, loss, self.loss)

    def reset_totals(self) -> None:
        """In place: a group step may hold views of these tensors."""
        self.sums.zero_()

    def train_metrics(self) -> dict[str, float]:
        """The epoch's training loss and metrics over the items it trained on."""
        return self.task.finish(self.sums.tolist())

    def checkpoint(self, epoch: int) -> bytes:
        monitors = (self.callbacks, self.ctx.findings, self.reported)
        return save_checkpoint(
            epoch,
            self.ctx.step,
            self.model,
            self.optimizer,
            self.order,
            (self.rng, self.cuda_rng),
            monitors,
        )

    def restore(self, checkpoint: Checkpoint, with_monitors: bool = True) -> int:
        """Continue from `checkpoint`; returns the epoch it ended. With its monitors (history,
        findings already raised) when it carries them, so findings come out as uninterrupted."""
        self.model.load_state_dict(checkpoint.model)
        self.optimizer.load_state_dict(checkpoint.optimizer)
        self.order.set_state(checkpoint.batch_order)
        self.rng, self.cuda_rng = checkpoint.rng
        self.ctx.step = checkpoint.step
        if with_monitors and checkpoint.monitors is not None:
            self.callbacks, self.ctx.findings, self.reported = checkpoint.monitors
        return checkpoint.epoch


def build_replica(
    spec: TrialSpec,
    data: Dataset,
    x: torch.Tensor,
    y: torch.Tensor,
    callbacks: list[Callback],
    initial_state: dict[str, torch.Tensor] | None = None,
    native: bool = True,
) -> Replica:
    """A fresh replica of `spec`: seeded model (or `initial_state`, for reuse_model chains),
    its optimizer, batch order and random stream, and the probe batch monitors look at.
    `native`: its optimizer may take a native update kernel (optim/native_update.py)."""
    model = build_model(spec.model, data.input_shape, data.num_outputs, seed=spec.seed)
    model = model.to(x.device)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    optimizer = build_optimizer(spec.optimizer, model.parameters(), native=native)
    task = TASKS.get(spec.task)
    order = BatchOrder(len(y), spec.batch_size, spec.seed)
    # The probe is epoch 1's first batch, from a fresh generator: the same after a resume.
    probe = next(BatchOrder(len(y), spec.batch_size, spec.seed).epoch(y.device))
    ctx = TrialContext(spec, model, optimizer, data.num_classes, (x[probe], y[probe]))
    rng = torch.Generator().manual_seed(spec.seed ^ RANDOM_STREAM_SALT).get_state()
    cuda_rng = None
    if x.device.type == "cuda":
        cuda_rng = torch.Generator(x.device).manual_seed(spec.seed ^ RANDOM_STREAM_SALT).get_state()
    rep = Replica(
        spec=spec,
        model=model,
        optimizer=optimizer,
        step=plain_step(optimizer),
        loss=task.loss_info(spec.loss),
        order=order,
        ctx=ctx,
        callbacks=[NonFiniteLossGuard(), *callbacks],
        rng=rng,
        cuda_rng=cuda_rng,
        task=task,
        sums=torch.zeros(task.sums_size(), dtype=torch.float64, device=x.device),
    )
    return rep


def first_loss(rep: Replica) -> float:
    """The untrained model's loss on the probe batch (NaN when head, loss and labels do not
    fit: the setup check says why and stops the trial). Taken on a copy of the replica's
    random stream, so the stream it trains with is untouched."""
    x, y = rep.ctx.probe
    devices = [rep.model_device] if rep.cuda_rng is not None else []
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            torch.set_rng_state(rep.rng)
            outputs = rep.model(x)
            return float(rep.loss.loss(outputs, rep.loss.encode(y, outputs)))
    except Exception:
        return math.nan


def findings_since_report(rep: Replica) -> list[Finding]:
    """The findings raised since the last record, marked as reported."""
    new, rep.reported = rep.ctx.findings[rep.reported :], len(rep.ctx.findings)
    return new
