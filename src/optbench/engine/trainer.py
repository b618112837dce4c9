"""Train trials: fresh seeded models, seeded batch orders, metrics per epoch — one loop.

Every trial trains in a *group* of replicas that step in lockstep (engine/group_step.py): a
trial alone is a group of one. A replica's numbers depend on its spec and the numerics
configuration only (device, step path, dtype, library versions, CPU): never on the replicas
beside it, the process it runs in, when it moved, or how often it was stopped and resumed.

This is also the paired, fair comparison of the architecture doc: for one seed, every trial
builds bit-identical initial weights and sees the same batches, so the optimizer is the only
difference. Events are yielded (not written) so any executor can ship them to the driver.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from optbench.core.specs import EpochRecord, TrialResult, TrialSpec, TrialStarted
from optbench.data import Dataset
from optbench.engine.callbacks import Callback
from optbench.engine.checkpoint import load_checkpoint
from optbench.engine.env import describe_env, use_threads
from optbench.engine.fingerprint import fingerprint
from optbench.engine.group_step import GroupStep, choose_step
from optbench.engine.handoff import Carried, HandedOff, Handoff
from optbench.engine.replica import Replica, build_replica, findings_since_report, first_loss
from optbench.models import LossInfo, Task
from optbench.optim.native_update import update_path
from optbench.store.tensorboard import histogram

Event = TrialStarted | EpochRecord | TrialResult
CallbacksFor = Callable[[TrialSpec], Sequence[Callback]]

# Gradient norms are sampled, not taken every step: a norm over all parameters costs about as
# much as a small optimizer step, and a sample every few dozen steps describes an epoch well.
GRAD_NORM_EVERY = 32
EVAL_CHUNK = 4096  # validation batch: large, since no gradients are kept
# The most replicas one group trains. Memory caps it further for big models (see
# executors/resources.py); for the MLPs that group (a 784-128-10 replica with Adam state
# needs ~2.4 MB) this cap is what applies: it keeps one group's step short enough for live
# progress and fair sharing.
MAX_REPLICAS = 32


@dataclass(frozen=True)
class TrainOptions:
    """How to run (not what): these never change a trial's results, so they are not in its id
    (the step path is recorded in each trial's environment as part of its numerics)."""

    threads: int = 1  # torch threads of a training process (see engine/env.py)
    thread_policy: str = ""  # why `threads` (recorded in each trial's environment)
    histogram_freq: int = 1  # epochs between weight/gradient histograms; 0 = never
    monitors: bool = True  # attach optbench.diagnose's runtime monitors
    stop_on: tuple[str, ...] = ("train.nan_loss",)  # finding codes that end a trial
    checkpoint_every: int = 1  # epochs between checkpoints sent to the driver; 0 = never
    stack: bool = True  # train compatible trials as replica groups (one process, one loop)
    # optbench's compiled code where it builds: the MLP group step on the CPU, and optimizers'
    # native update kernels; False runs none of it (autograd steps and plain rules)
    native: bool = True
    max_replicas: int = MAX_REPLICAS  # per group: what fits the memory, at most MAX_REPLICAS


def train_trial(
    spec: TrialSpec,
    data: Dataset,
    options: TrainOptions = TrainOptions(),
    callbacks: Sequence[Callback] = (),
    initial_state: dict[str, torch.Tensor] | None = None,
    resume: bytes | None = None,
) -> Iterator[Event]:
    """Train `spec` alone, yielding TrialStarted, one EpochRecord per epoch, a TrialResult.

    `resume`: checkpoint bytes of this trial; training continues after its epoch and gives the
    same numbers and findings as an uninterrupted run. `initial_state` replaces the fresh
    seeded weights: only for `reuse_model` studies, which reproduce the homework's mistake of
    training one model through several optimizers.
    """
    yield from train_group(  # type: ignore[misc]
        [spec],
        data,
        options,
        lambda _spec: callbacks,
        {spec.id: resume} if resume is not None else None,
        initial_states={spec.id: initial_state} if initial_state is not None else None,
    )


def train_group(
    specs: Sequence[TrialSpec],
    data: Dataset,
    options: TrainOptions = TrainOptions(),
    callbacks_for: CallbacksFor | None = None,
    resume: Mapping[str, bytes] | None = None,
    *,
    carried: Sequence[Carried] = (),
    handoff: Handoff | None = None,
    initial_states: Mapping[str, dict[str, torch.Tensor]] | None = None,
) -> Iterator[Event | HandedOff]:
    """Train `specs` (and the `carried` replicas another group handed off) as one group.

    `callbacks_for(spec)` gives each new replica its own monitors. `resume` checkpoints, and
    carried replicas, must all continue after the same epoch (the executor groups them so).
    With `handoff`, the group gives replicas away between epochs when asked
    (engine/handoff.py).
    """
    use_threads(options.threads)
    device = torch.device((specs or [c.spec for c in carried])[0].device)
    x_train, y_train = data.train.x.to(device), data.train.y.to(device)
    x_val, y_val = data.test.x.to(device), data.test.y.to(device)
    resume, initial_states = resume or {}, initial_states or {}

    def build(spec: TrialSpec) -> Replica:
        callbacks = list(callbacks_for(spec)) if callbacks_for else []
        initial = initial_states.get(spec.id)
        return build_replica(spec, data, x_train, y_train, callbacks, initial, options.native)

    replicas = [build(spec) for spec in specs]
    starts = [(fingerprint(rep.model), first_loss(rep)) for rep in replicas]
    done = 0
    for rep in replicas:
        if (blob := resume.get(rep.spec.id)) is not None:
            done = rep.restore(load_checkpoint(blob, source=f"checkpoint of trial {rep.spec.id}"))
    for state in carried:
        rep = build(state.spec)
        done = rep.restore(load_checkpoint(state.checkpoint, source=f"carried {state.spec.id}"))
        replicas.append(rep)
    step = choose_step(replicas, x_train, y_train, options.native)
    envs: dict[str, dict[str, object]] = {}  # by update path: a replica's optimizer's own
    for rep, (init_print, loss) in zip(replicas, starts, strict=False):  # the ones starting here
        if not done:
            for cb in rep.callbacks:
                rep.ctx.findings += cb.on_trial_start(rep.ctx, loss)
        update = update_path(rep.optimizer)
        if update not in envs:
            envs[update] = describe_env(
                options.threads, str(device), options.thread_policy, step.name, update
            )
            envs[update]["replicas"] = len(replicas)
        yield TrialStarted(rep.spec.id, init_print, loss, envs[update], resumed_from=done)
    yield from _results(rep for rep in replicas if _refused(rep))

    epochs = replicas[0].spec.epochs
    for epoch in range(done + 1, epochs + 1):
        live = [rep for rep in replicas if not rep.stopped]
        if not live:
            break
        _train_epoch(step, live, x_train, y_train)
        for rep in live:
            yield _finish_epoch(rep, epoch, x_val, y_val, options)
        yield from _results(rep for rep in live if rep.stopped)
        live = [rep for rep in live if not rep.stopped]
        given = handoff.take(len(live)) if handoff and live and epoch < epochs else 0
        for rep in live[len(live) - given :]:
            replicas.remove(rep)
            yield HandedOff(Carried(rep.spec, rep.checkpoint(epoch)))
    yield from _results(rep for rep in replicas if not rep.stopped)


def _refused(rep: Replica) -> bool:
    """A replica the setup check stopped before its first step: it trains nothing."""
    rep.stopped = bool(rep.ctx.stop_reason)
    return rep.stopped


def _results(replicas: Iterator[Replica]) -> Iterator[TrialResult]:
    for rep in replicas:
        status = "stopped" if rep.ctx.stop_reason else "finished"
        yield TrialResult(
            rep.spec.id,
            status,
            fingerprint(rep.model),
            rep.ctx.stop_reason,
            findings_since_report(rep),
        )


def _train_epoch(
    step: GroupStep, replicas: list[Replica], x: torch.Tensor, y: torch.Tensor
) -> None:
    """One pass over the training set for every replica, in lockstep. Each replica's totals,
    sampled gradient norms and share of the time land on it; a replica a monitor stops
    mid-epoch trains no further batch."""
    for rep in replicas:
        rep.reset_totals()
        rep.norms = []
    batches = dict(zip(map(id, replicas), _epoch_batches(replicas, x.device), strict=True))
    sampled = [(rep, cb) for rep in replicas for cb in rep.callbacks if cb.sample_every]
    periods = {cb.sample_every for _, cb in sampled}  # a few values: checked per step, not R×
    active = list(replicas)
    start = time.perf_counter()
    for batch_index in range(len(replicas[0].order)):
        outputs = step(active, [batches[id(rep)][batch_index] for rep in active])
        if batch_index % GRAD_NORM_EVERY == 0:
            for rep in active:
                rep.norms.append(grad_norm(rep.model))
        due = any(batch_index % p == 0 for p in periods)
        out = dict(zip(map(id, active), outputs, strict=True))
        watching = [
            (rep, cb, out[id(rep)])
            for rep, cb in (sampled if due else ())
            if batch_index % cb.sample_every == 0 and id(rep) in out  # type: ignore[operator]
        ]
        for rep, cb, o in watching:
            rep.ctx.findings += cb.on_after_backward(rep.ctx, o.loss, o.outputs)
        for rep in active:
            rep.step()
            rep.ctx.step += 1
        for rep, cb, o in watching:
            rep.ctx.findings += cb.on_step_end(rep.ctx, o.loss)
        if any(rep.ctx.stop_reason for rep in active):  # a monitor's stop policy ended it
            active = [rep for rep in active if not rep.ctx.stop_reason]
            if not active:
                break
    seconds = (time.perf_counter() - start) / len(replicas)  # the group's time, shared out
    for rep in replicas:
        rep.seconds = seconds


def _epoch_batches(replicas: list[Replica], device: torch.device) -> list[list[torch.Tensor]]:
    """Each replica's batches for this epoch, from its own generator. Replicas whose
    generators stand at the same state (trials of one seed) get the very same index tensors,
    so a group step may gather such a batch once for all of them."""
    orders: list[list[torch.Tensor]] = []
    seen: list[tuple[torch.Tensor, list[torch.Tensor]]] = []
    for rep in replicas:
        state = rep.order.get_state()
        batches = list(rep.order.epoch(device))
        twin = next((b for s, b in seen if torch.equal(s, state)), None)
        orders.append(twin if twin is not None else batches)
        if twin is None:
            seen.append((state, batches))
    return orders


def grad_norm(model: nn.Module) -> torch.Tensor:
    """The global gradient norm of a model: the norm of its parameters' gradient norms."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if not grads:
        return torch.tensor(math.nan)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


def _finish_epoch(
    rep: Replica,
    epoch: int,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    options: TrainOptions,
) -> EpochRecord:
    train = rep.train_metrics()
    val = evaluate(rep.model, rep.task, rep.loss, x_val, y_val)
    others = {
        f"{split}/{name}": value
        for split, values in (("train", train), ("val", val))
        for name, value in values.items()
        if name not in ("loss", "acc")
    }
    record = EpochRecord(
        trial_id=rep.spec.id,
        epoch=epoch,
        train_loss=train["loss"],
        train_acc=train.get("acc", math.nan),
        val_loss=val["loss"],
        val_acc=val.get("acc", math.nan),
        seconds=rep.seconds,
        lr=float(rep.optimizer.param_groups[0]["lr"]),
        grad_norm=float(torch.stack(rep.norms).mean()) if rep.norms else math.nan,
        metrics=others,
    )
    if options.histogram_freq and epoch % options.histogram_freq == 0:
        record.histograms = _histograms(rep.model)
    for cb in rep.callbacks:
        rep.ctx.findings += cb.on_epoch_end(rep.ctx, record)
    record.findings = findings_since_report(rep)
    rep.stopped = bool(rep.ctx.stop_reason)
    last = epoch == rep.spec.epochs or rep.stopped
    if options.checkpoint_every and (epoch % options.checkpoint_every == 0 or last):
        record.checkpoint = rep.checkpoint(epoch)
    return record


@torch.no_grad()
def evaluate(
    model: nn.Module, task: Task, loss: LossInfo, x: torch.Tensor, y: torch.Tensor
) -> dict[str, float]:
    """The task's loss and metrics over (x, y), in large chunks (`loss`, `acc`, …)."""
    model.eval()
    sums = torch.zeros(task.sums_size(), dtype=torch.float64, device=x.device)
    for xs, ys in zip(x.split(EVAL_CHUNK), y.split(EVAL_CHUNK), strict=True):
        outputs = model(xs)
        sums += task.batch_sums(outputs, ys, loss.loss(outputs, loss.encode(ys, outputs)), loss)
    model.train()
    return task.finish(sums.tolist())


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
