"""Train one trial: a fresh seeded model, a seeded batch order, metrics per epoch.

This is the paired, fair comparison of the architecture doc: for one seed, every trial builds
bit-identical initial weights and sees the same batches, so the optimizer is the only
difference. Events are yielded (not written) so any executor can ship them to the driver.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from optbench.core.specs import EpochRecord, TrialResult, TrialSpec, TrialStarted
from optbench.data import Dataset
from optbench.engine.batches import BatchOrder
from optbench.engine.callbacks import Callback, NonFiniteLossGuard, TrialContext
from optbench.engine.checkpoint import load_checkpoint, restore, save_checkpoint
from optbench.engine.env import describe_env, use_threads
from optbench.engine.fast_step import unhooked_step
from optbench.engine.fingerprint import fingerprint
from optbench.models import LOSSES, LossInfo, build_model
from optbench.optim import build_optimizer
from optbench.store.tensorboard import histogram

Event = TrialStarted | EpochRecord | TrialResult

# Gradient norms are sampled, not taken every step: a norm over all parameters costs about as
# much as a small optimizer step, and a sample every few dozen steps describes an epoch well.
GRAD_NORM_EVERY = 32
EVAL_CHUNK = 4096  # validation batch: large, since no gradients are kept


# The most replicas one group trains. Memory caps it further for big models (see the driver);
# for the MLPs that stack (a 784-128-10 replica with Adam state needs ~2.4 MB) this cap is what
# applies: it keeps one group's step short enough for live progress and fair sharing.
MAX_REPLICAS = 32


@dataclass(frozen=True)
class TrainOptions:
    """How to run (not what): these never change a trial's results, so they are not in its id."""

    threads: int = 1
    thread_policy: str = ""  # why `threads` (recorded in each trial's environment)
    histogram_freq: int = 1  # epochs between weight/gradient histograms; 0 = never
    monitors: bool = True  # attach optbench.diagnose's runtime monitors
    stop_on: tuple[str, ...] = ("train.nan_loss",)  # finding codes that end a trial
    checkpoint_every: int = 1  # epochs between checkpoints sent to the driver; 0 = never
    stack: bool = True  # train compatible trials as stacked replica groups
    native: bool = True  # stacked MLPs on the CPU: the compiled step, where it builds
    max_replicas: int = MAX_REPLICAS  # per group: what fits the memory, at most MAX_REPLICAS


def train_trial(
    spec: TrialSpec,
    data: Dataset,
    options: TrainOptions = TrainOptions(),
    callbacks: Sequence[Callback] = (),
    initial_state: dict[str, torch.Tensor] | None = None,
    resume: bytes | None = None,
) -> Iterator[Event]:
    """Train `spec` on `data`, yielding TrialStarted, one EpochRecord per epoch, a TrialResult.

    `resume`: checkpoint bytes of this trial; training continues after its epoch and gives the
    same numbers as an uninterrupted run. `initial_state` replaces the fresh seeded weights:
    only for `reuse_model` studies, which reproduce the homework's mistake of training one
    model through several optimizers.
    """
    use_threads(options.threads)
    device = torch.device(spec.device)
    x_train, y_train = data.train.x.to(device), data.train.y.to(device)
    x_val, y_val = data.test.x.to(device), data.test.y.to(device)
    model = build_model(spec.model, data.input_shape, data.num_classes, seed=spec.seed).to(device)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    optimizer = build_optimizer(spec.optimizer, model.parameters())
    loss = LOSSES.get(spec.loss)
    order = BatchOrder(len(y_train), spec.batch_size, spec.seed)
    # The probe is epoch 1's first batch, from a fresh generator: the same after a resume.
    probe = next(BatchOrder(len(y_train), spec.batch_size, spec.seed).epoch(y_train.device))
    ctx = TrialContext(
        spec=spec,
        model=model,
        optimizer=optimizer,
        num_classes=data.num_classes,
        probe=(x_train[probe], y_train[probe]),
    )
    callbacks = [NonFiniteLossGuard(), *callbacks]

    init_print = fingerprint(model)
    try:
        first_loss = _loss_on(model, loss, *ctx.probe)
    except Exception:  # head/loss/labels do not fit: the setup check says why and stops it
        first_loss = math.nan
    done = 0
    if resume is not None:
        checkpoint = load_checkpoint(resume, source=f"checkpoint of trial {spec.id}")
        restore(checkpoint, model, optimizer, order)
        done, ctx.step = checkpoint.epoch, checkpoint.step
    else:
        for cb in callbacks:
            ctx.findings += cb.on_trial_start(ctx, first_loss)
    env = describe_env(options.threads, spec.device, options.thread_policy)
    yield TrialStarted(spec.id, init_print, first_loss, env, resumed_from=done)
    if ctx.stop_reason:  # refused before the first step (the setup check): train nothing
        yield TrialResult(spec.id, "stopped", init_print, ctx.stop_reason, ctx.findings)
        return

    reported = 0  # findings already sent with an earlier record
    for epoch in range(done + 1, spec.epochs + 1):
        record = _train_epoch(ctx, loss, order, x_train, y_train, epoch, callbacks)
        record.val_loss, record.val_acc = evaluate(model, loss, x_val, y_val)
        if options.histogram_freq and epoch % options.histogram_freq == 0:
            record.histograms = _histograms(model)
        for cb in callbacks:
            ctx.findings += cb.on_epoch_end(ctx, record)
        record.findings, reported = ctx.findings[reported:], len(ctx.findings)
        last = epoch == spec.epochs or ctx.stop_reason
        if options.checkpoint_every and (epoch % options.checkpoint_every == 0 or last):
            record.checkpoint = save_checkpoint(epoch, ctx.step, model, optimizer, order)
        yield record
        if ctx.stop_reason:
            break
    status = "stopped" if ctx.stop_reason else "finished"
    yield TrialResult(spec.id, status, fingerprint(model), ctx.stop_reason, ctx.findings[reported:])


def _loss_on(model: nn.Module, loss: LossInfo, x: torch.Tensor, y: torch.Tensor) -> float:
    """Loss of the model as it is now on (x, y): the untrained model's first-batch loss."""
    with torch.no_grad():
        outputs = model(x)
        return float(loss.loss(outputs, loss.encode(y, outputs)))


def _train_epoch(
    ctx: TrialContext,
    loss_info: LossInfo,
    order: BatchOrder,
    x: torch.Tensor,
    y: torch.Tensor,
    epoch: int,
    callbacks: Sequence[Callback],
) -> EpochRecord:
    """One pass over the training set; train metrics are running means, as Keras reports."""
    model, optimizer = ctx.model, ctx.optimizer
    model.train()
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    norms: list[torch.Tensor] = []
    sampled = [cb for cb in callbacks if cb.sample_every]
    step = unhooked_step(optimizer)
    start = time.perf_counter()
    for batch_index, idx in enumerate(order.epoch(x.device)):
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)  # ~2× faster than x[idx]
        optimizer.zero_grad(set_to_none=True)
        outputs = model(xb)
        loss = loss_info.loss(outputs, loss_info.encode(yb, outputs))
        loss.backward()
        if batch_index % GRAD_NORM_EVERY == 0:
            norms.append(_grad_norm(model))
        watching = [cb for cb in sampled if batch_index % cb.sample_every == 0] if sampled else ()
        for cb in watching:
            ctx.findings += cb.on_after_backward(ctx, loss, outputs)
        step()
        ctx.step += 1
        for cb in watching:
            ctx.findings += cb.on_step_end(ctx, loss)
        with torch.no_grad():
            loss_sum += loss.detach() * len(idx)
            correct += loss_info.correct(outputs, yb)
        if ctx.stop_reason:
            break
    n = len(y)
    return EpochRecord(
        trial_id=ctx.spec.id,
        epoch=epoch,
        train_loss=float(loss_sum) / n,
        train_acc=int(correct) / n,
        val_loss=math.nan,
        val_acc=math.nan,
        seconds=time.perf_counter() - start,
        lr=float(optimizer.param_groups[0]["lr"]),
        grad_norm=float(torch.stack(norms).mean()) if norms else math.nan,
    )


def _grad_norm(model: nn.Module) -> torch.Tensor:
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


@torch.no_grad()
def evaluate(
    model: nn.Module, loss: LossInfo, x: torch.Tensor, y: torch.Tensor
) -> tuple[float, float]:
    """Mean loss and accuracy over (x, y), in large chunks."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for xs, ys in zip(x.split(EVAL_CHUNK), y.split(EVAL_CHUNK), strict=True):
        outputs = model(xs)
        loss_sum += float(loss.loss(outputs, loss.encode(ys, outputs))) * len(ys)
        correct += int(loss.correct(outputs, ys))
    model.train()
    return loss_sum / len(y), correct / len(y)


def _histograms(model: nn.Module) -> dict[str, object]:
    """Weights and last-step gradients per parameter (Keras' histogram_freq=1), as the
    TensorBoard histograms the driver writes (none for a tensor holding NaN or inf)."""
    out: dict[str, object] = {}
    for name, p in model.named_parameters():
        tensors = {"weights": p, "grads": p.grad}
        for kind, tensor in tensors.items():
            if tensor is not None and (h := histogram(tensor.detach().cpu().numpy())) is not None:
                out[f"{kind}/{name}"] = h
    return out
