"""Stacked replicas: R trials of the built-in MLP trained as one batched computation.

Small models on a CPU are bound by per-op overhead, not arithmetic. Trials that share the
dataset, architecture, batch size and epochs therefore train together: each layer's weights of
all R trials live in one `[R, …]` tensor, a step is one batched forward/backward (`baddbmm`),
and each replica keeps its *own* optimizer, whose parameters are views into the stacked
tensors. So every optimizer (any profile, LARS with its per-layer norms, a user class) updates
exactly its own slice with its own hyperparameters, and a replica's numbers match the trial
trained alone (up to float rounding of the batched matmul; see tests/engine/test_engine_stacked.py).

Each replica also keeps its own seeded init and its own seeded batch order, so fairness is the
same as for single trials; per-replica nn.Modules (sharing the stacked storage) serve
fingerprints, checkpoints, histograms and monitors unchanged.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from optbench.core.specs import EpochRecord, TrialResult, TrialSpec, TrialStarted
from optbench.data import Dataset
from optbench.engine import native
from optbench.engine.batches import BatchOrder
from optbench.engine.callbacks import Callback, NonFiniteLossGuard, TrialContext
from optbench.engine.checkpoint import load_checkpoint, restore, save_checkpoint
from optbench.engine.env import describe_env, use_threads
from optbench.engine.fast_step import unhooked_step
from optbench.engine.fingerprint import fingerprint
from optbench.engine.handoff import Carried, HandedOff, Handoff
from optbench.engine.trainer import GRAD_NORM_EVERY, TrainOptions, _histograms
from optbench.models import build_model
from optbench.models.mlp import ACTIVATIONS
from optbench.optim import build_optimizer

Event = TrialStarted | EpochRecord | TrialResult
EVAL_CHUNK = 2048


def can_stack(spec: TrialSpec) -> bool:
    """Stacking covers the built-in MLP with a logits head and the cross-entropy loss."""
    return (
        spec.model.name == "mlp"
        and spec.model.head_units is None
        and spec.model.head_activation == "linear"
        and spec.loss == "cross_entropy"
        and spec.init_from is None
    )


def stack_key(spec: TrialSpec) -> tuple[object, ...]:
    """Trials with equal keys can train as one replica group."""
    return (repr(spec.dataset), spec.model, spec.batch_size, spec.epochs, spec.device, spec.loss)


@dataclass
class Replica:
    spec: TrialSpec
    model: nn.Module  # parameters are views into the group's stacked tensors
    optimizer: torch.optim.Optimizer
    step: Callable[[], object]  # optimizer.step, without torch's wrapper (engine/fast_step.py)
    order: BatchOrder
    ctx: TrialContext
    callbacks: list[Callback]
    reported: int = 0
    stopped: bool = False


class StackedMLP:
    """The stacked weights of R MLPs, their batched forward pass and training step.

    For the common activations the step's backward pass is written out by hand: a handful of
    batched matmuls into gradient buffers that live as long as the group (each replica's .grad
    is a view of them), with no autograd graph to build and the first layer's weight gradient
    as one GEMM in the layout it is stored in. Other activations take the autograd path.
    """

    def __init__(
        self, models: Sequence[nn.Module], activation: str, *, use_native: bool = False
    ) -> None:
        linears = [[m for m in model.modules() if isinstance(m, nn.Linear)] for model in models]
        self.activation = ACTIVATIONS[activation]()
        self.manual = activation in _DERIVATIVES  # else the autograd path
        self.derivative = _DERIVATIVES.get(activation, _identity_derivative)
        # One [R, out, in] weight and [R, out] bias per layer; each model's layer becomes a view.
        self.weights: list[torch.Tensor] = []
        self.biases: list[torch.Tensor] = []
        for layer in range(len(linears[0])):
            w = torch.stack([ls[layer].weight.detach() for ls in linears])
            b = torch.stack([ls[layer].bias.detach() for ls in linears])
            for r, ls in enumerate(linears):
                ls[layer].weight = nn.Parameter(w[r])
                ls[layer].bias = nn.Parameter(b[r])
            self.weights.append(w if self.manual else w.requires_grad_())
            self.biases.append(b if self.manual else b.requires_grad_())
        self.linears = linears
        # The manual step writes every gradient into these buffers, in place, each step.
        self.grads = [torch.zeros_like(t) for t in (*self.weights, *self.biases)]
        self._ones: torch.Tensor | None = None
        self.route_grads()
        self.activation_name = activation
        self.native = native.mlp_train_step() if use_native and self.manual else None

    @property
    def replicas(self) -> int:
        return self.weights[0].shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [R, B, features], or [B, features] shared by all replicas → logits [R, B, C]."""
        h = self._first_layer(x)
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            h = torch.baddbmm(b.unsqueeze(1), self.activation(h), w.transpose(1, 2))
        return h

    def _first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """A shared batch (replicas of one seed, or evaluation) makes the first layer a single
        GEMM against all replicas' weights side by side ([B, in] @ [in, R·out]): the biggest
        layer then runs at full GEMM efficiency, forward and backward."""
        w, b = self.weights[0], self.biases[0]
        R, out, fan_in = w.shape
        if x.dim() == 2:
            h = torch.addmm(b.reshape(R * out), x, w.reshape(R * out, fan_in).t())
            return h.view(len(x), R, out).transpose(0, 1)  # [R, B, out]
        return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))

    def train_batch(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        rows: torch.Tensor,
        loss_sum: torch.Tensor,
        correct: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step on the examples `rows` of (x, y): [B] when all replicas share the batch,
        else [R, B]. Adds each replica's summed loss and correct count to `loss_sum` [R]
        (float64) and `correct` [R]; returns the losses [R] and logits [R, B, C].
        """
        if self.native is not None:
            return self.native(
                x, y, rows, self.weights, self.biases, self.grads, self.activation_name,
                loss_sum, correct,
            )  # fmt: skip
        # index_select, not x[index]: it gathers rows about twice as fast.
        flat = rows.flatten()
        xb = x.index_select(0, flat)  # [B, features]: one batch for every replica
        yb = y.index_select(0, flat).view(-1, rows.shape[-1]).expand(self.replicas, -1)
        if rows.dim() == 2:
            xb = xb.view(*rows.shape, -1)  # [R, B, features]
        losses, logits = self.train_step(xb, yb)  # [R], [R, B, C]
        with torch.no_grad():
            loss_sum.add_(losses, alpha=yb.shape[1])  # in float64, as loss_sum is
            correct += (logits.argmax(2) == yb).sum(1)
        return losses, logits

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward and backward for batch (x, y [R, B]): each replica's mean cross-entropy
        [R] and logits [R, B, C]; gradients land in `grads` (and so in every replica's .grad).
        """
        if not self.manual:
            return self._autograd_step(x, y)
        with torch.no_grad():
            return self._manual_step(x, y)

    def _autograd_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for t in (*self.weights, *self.biases):
            t.grad = None
        logits = self.forward(x)
        R = self.replicas
        per_example = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
        losses = per_example.view(R, -1).mean(1)  # each replica's mean loss, as alone
        losses.sum().backward()  # replicas share no parameter: grads stay separate
        self.grads = [t.grad for t in (*self.weights, *self.biases)]  # type: ignore[misc]
        self.route_grads()
        return losses.detach(), logits.detach()

    def _manual_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        layers = len(self.weights)
        inputs = []  # each later layer's input: the activation of the layer before, [R, B, in]
        h = self._first_layer(x)
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            inputs.append(self.activation(h))
            h = torch.baddbmm(b.unsqueeze(1), inputs[-1], w.transpose(1, 2))
        logits, batch = h, y.shape[1]
        log_p = torch.log_softmax(logits, dim=2)
        losses = log_p.gather(2, y.unsqueeze(2)).squeeze(2).mean(1).neg_()
        # d(mean cross-entropy)/d(logits) = (softmax - one_hot) / B
        delta = log_p.exp_().scatter_add_(2, y.unsqueeze(2), self._minus_ones(y)).div_(batch)
        for layer in range(layers - 1, 0, -1):
            below = inputs[layer - 1]
            torch.bmm(delta.transpose(1, 2), below, out=self.grads[layer])
            torch.sum(delta, 1, out=self.grads[layers + layer])
            upstream = torch.bmm(delta, self.weights[layer])  # [R, B, in]
            if layer == 1 and x.dim() == 2:
                # The first layer's output is stored [B, R, out] (one GEMM for all replicas):
                # work in that layout, which is also the one its weight gradient GEMM takes.
                upstream, below = upstream.transpose(0, 1).contiguous(), below.transpose(0, 1)
            delta = self.derivative(upstream, below)
        if layers == 1 and x.dim() == 2:
            delta = delta.transpose(0, 1)  # the logits' gradient, in the first layer's [B, R, C]
        self._first_layer_grads(x, delta)
        return losses, logits

    def _first_layer_grads(self, x: torch.Tensor, delta: torch.Tensor) -> None:
        """delta: [B, R, out] for a shared batch x [B, in], else [R, B, out]."""
        w_grad, b_grad = self.grads[0], self.grads[len(self.weights)]
        R, out, fan_in = w_grad.shape
        if x.dim() == 2:  # one [R·out, B] @ [B, in] GEMM straight into the stored layout
            flat = delta.reshape(len(x), R * out)  # a view, except for a layer-less MLP
            torch.mm(flat.t(), x, out=w_grad.view(R * out, fan_in))
            torch.sum(flat, 0, out=b_grad.view(R * out))
        else:
            torch.bmm(delta.transpose(1, 2), x, out=w_grad)
            torch.sum(delta, 1, out=b_grad)

    def _minus_ones(self, y: torch.Tensor) -> torch.Tensor:
        """-1 per label, to subtract the one-hot target (kept: the shape repeats every step)."""
        shape = (*y.shape, 1)
        if self._ones is None or self._ones.shape != shape or self._ones.device != y.device:
            self._ones = torch.full(shape, -1.0, device=y.device)
        return self._ones

    def route_grads(self) -> None:
        """Point every replica's .grad at its slice of the stacked gradients (views, no copy)."""
        layers = len(self.weights)
        for i in range(layers):
            for r, ls in enumerate(self.linears):
                ls[i].weight.grad = self.grads[i][r]
                ls[i].bias.grad = self.grads[layers + i][r]


def _native_fits(x: torch.Tensor, y: torch.Tensor) -> bool:
    """The native step takes contiguous float32 CPU inputs (the weights follow them: float32,
    on their device) and int64 labels; other data takes the Python step."""
    return (
        x.device.type == "cpu"
        and x.dtype == torch.float32
        and x.is_contiguous()
        and y.dtype == torch.int64
    )


def _relu_derivative(upstream: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.threshold_backward(upstream, out, 0.0)


def _tanh_derivative(upstream: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.tanh_backward(upstream, out)


def _sigmoid_derivative(upstream: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.sigmoid_backward(upstream, out)


def _identity_derivative(upstream: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return upstream


# The upstream gradient through the activation, from the activation's *output*: the same aten
# kernels autograd runs for these modules. Activations missing here (gelu, elu, leaky_relu)
# train through autograd.
_DERIVATIVES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "relu": _relu_derivative,
    "tanh": _tanh_derivative,
    "sigmoid": _sigmoid_derivative,
    "linear": _identity_derivative,
}


def train_group(
    specs: Sequence[TrialSpec],
    data: Dataset,
    options: TrainOptions = TrainOptions(),
    callbacks_for: object = None,
    resume: dict[str, bytes] | None = None,
    *,
    carried: Sequence[Carried] = (),
    handoff: Handoff | None = None,
) -> Iterator[Event | HandedOff]:
    """Train trials that share `stack_key` as one replica group; events as `train_trial`'s.

    `callbacks_for(spec) -> list[Callback]` gives each replica its own monitors. `resume`
    checkpoints must all be at the same epoch (the executor groups them so). `carried`
    replicas continue where another group handed them off (no TrialStarted: they have
    started); they and `specs` must be at the same epoch. With `handoff`, the group gives
    replicas away between epochs when asked (see engine/handoff.py).
    """
    use_threads(options.threads)
    device = torch.device((specs or [c.spec for c in carried])[0].device)
    x_train = data.train.x.to(device).flatten(1)
    y_train = data.train.y.to(device)
    x_val, y_val = data.test.x.to(device).flatten(1), data.test.y.to(device)
    every = [*specs, *(c.spec for c in carried)]
    models = [
        build_model(s.model, data.input_shape, data.num_classes, seed=s.seed).to(device)
        for s in every
    ]
    inits = [fingerprint(m) for m in models[: len(specs)]]
    use_native = options.native and _native_fits(x_train, y_train)
    stack = StackedMLP(models, every[0].model.activation, use_native=use_native)
    replicas = [  # carried replicas bring their monitors along
        _replica(
            s, m, x_train, y_train, data.num_classes, callbacks_for if i < len(specs) else None
        )
        for i, (s, m) in enumerate(zip(every, models, strict=True))
    ]
    done = 0
    for rep in replicas[: len(specs)]:
        blob = (resume or {}).get(rep.spec.id)
        if blob is not None:
            done = _restore(rep, blob, f"checkpoint of trial {rep.spec.id}")
    for rep, state in zip(replicas[len(specs) :], carried, strict=True):
        done = _restore(rep, state.checkpoint, f"carried trial {rep.spec.id}")
        rep.callbacks, rep.ctx.findings, rep.reported = state.unpack_monitors()
    env = describe_env(options.threads, every[0].device, options.thread_policy)
    env |= {"replicas": len(every), "native_step": stack.native is not None}
    for rep, init_print in zip(replicas, inits, strict=False):  # the ones starting here
        first_loss = _probe_loss(rep)
        if not done:
            for cb in rep.callbacks:
                rep.ctx.findings += cb.on_trial_start(rep.ctx, first_loss)
        yield TrialStarted(rep.spec.id, init_print, first_loss, env, resumed_from=done)

    epochs = every[0].epochs
    for epoch in range(done + 1, epochs + 1):
        records = _train_epoch(stack, replicas, x_train, y_train, epoch)
        val = _evaluate(stack, x_val, y_val)
        for rep, record, (val_loss, val_acc) in zip(replicas, records, val, strict=True):
            if rep.stopped:
                continue
            record.val_loss, record.val_acc = val_loss, val_acc
            yield from _finish_epoch(rep, record, epoch, options)
        live = [rep for rep in replicas if not rep.stopped]
        if not live:
            break
        given = handoff.take(len(live)) if handoff and epoch < epochs else 0
        if given:
            # The ended replicas end here; the rest continue as a smaller stack, rebuilt from
            # their carried states exactly as the replicas that move are in their new group.
            yield from _results(r for r in replicas if r.stopped)
            for rep in live[-given:]:
                yield HandedOff(_carry(rep, epoch))
            staying = [_carry(rep, epoch) for rep in live[:-given]]
            yield from train_group(
                [], data, options, callbacks_for, carried=staying, handoff=handoff
            )
            return
    yield from _results(replicas)


def _results(replicas: Iterable[Replica]) -> Iterator[TrialResult]:
    for rep in replicas:
        status = "stopped" if rep.ctx.stop_reason else "finished"
        yield TrialResult(
            rep.spec.id,
            status,
            fingerprint(rep.model),
            rep.ctx.stop_reason,
            rep.ctx.findings[rep.reported :],
        )


def _restore(rep: Replica, blob: bytes, source: str) -> int:
    """Continue `rep` from checkpoint bytes; returns the epoch they ended."""
    checkpoint = load_checkpoint(blob, source=source)
    restore(checkpoint, rep.model, rep.optimizer, rep.order)
    rep.ctx.step = checkpoint.step
    return checkpoint.epoch


def _carry(rep: Replica, epoch: int) -> Carried:
    checkpoint = save_checkpoint(epoch, rep.ctx.step, rep.model, rep.optimizer, rep.order)
    return Carried.pack(rep.spec, checkpoint, rep.callbacks, rep.ctx.findings, rep.reported)


def _replica(spec, model, x, y, num_classes, callbacks_for) -> Replica:
    optimizer = build_optimizer(spec.optimizer, model.parameters())
    order = BatchOrder(len(y), spec.batch_size, spec.seed)
    probe = next(BatchOrder(len(y), spec.batch_size, spec.seed).epoch(y.device))
    ctx = TrialContext(spec, model, optimizer, num_classes, (x[probe], y[probe]))
    extra = list(callbacks_for(spec)) if callable(callbacks_for) else []
    callbacks = [NonFiniteLossGuard(), *extra]
    return Replica(spec, model, optimizer, unhooked_step(optimizer), order, ctx, callbacks)


def _probe_loss(rep: Replica) -> float:
    with torch.no_grad():
        return float(F.cross_entropy(rep.model(rep.ctx.probe[0]), rep.ctx.probe[1]))


def _train_epoch(
    stack: StackedMLP, replicas: list[Replica], x: torch.Tensor, y: torch.Tensor, epoch: int
) -> list[EpochRecord]:
    R = len(replicas)
    loss_sum = torch.zeros(R, dtype=torch.float64, device=x.device)
    correct = torch.zeros(R, dtype=torch.int64, device=x.device)
    norms: list[torch.Tensor] = []
    sampled = [(r, cb) for r, rep in enumerate(replicas) for cb in rep.callbacks if cb.sample_every]
    periods = {cb.sample_every for _, cb in sampled}  # a few values: checked per step, not R×
    start = time.perf_counter()
    # Same seed → same order; replicas keep separate generators so each stays resumable.
    shared = len({rep.spec.seed for rep in replicas}) == 1
    batches = zip(*(rep.order.epoch(x.device) for rep in replicas), strict=True)
    for batch_index, idx in enumerate(batches):
        rows = idx[0] if shared else torch.stack(idx)  # [B] shared by all, or [R, B]
        losses, logits = stack.train_batch(x, y, rows, loss_sum, correct)  # [R], [R, B, C]
        if batch_index % GRAD_NORM_EVERY == 0:
            norms.append(_grad_norms(stack))
        due = any(batch_index % p == 0 for p in periods)
        watching = (
            [(r, cb) for r, cb in sampled if batch_index % cb.sample_every == 0] if due else []
        )
        for r, cb in watching:
            replicas[r].ctx.findings += cb.on_after_backward(replicas[r].ctx, losses[r], logits[r])
        for rep in replicas:
            if not rep.stopped:
                rep.step()
                rep.ctx.step += 1
        for r, cb in watching:
            replicas[r].ctx.findings += cb.on_step_end(replicas[r].ctx, losses[r])
    seconds = (time.perf_counter() - start) / R  # this group's time, shared out per replica
    grad_norms = torch.stack(norms).mean(0) if norms else torch.full((R,), math.nan)
    n = len(y)
    return [
        EpochRecord(
            trial_id=rep.spec.id,
            epoch=epoch,
            train_loss=float(loss_sum[r]) / n,
            train_acc=int(correct[r]) / n,
            val_loss=math.nan,
            val_acc=math.nan,
            seconds=seconds,
            lr=float(rep.optimizer.param_groups[0]["lr"]),
            grad_norm=float(grad_norms[r]),
        )
        for r, rep in enumerate(replicas)
    ]


def _grad_norms(stack: StackedMLP) -> torch.Tensor:
    """Global gradient norm of each replica: [R]."""
    squares = [g.flatten(1).pow(2).sum(1) for g in stack.grads]
    return torch.stack(squares).sum(0).sqrt()


@torch.no_grad()
def _evaluate(stack: StackedMLP, x: torch.Tensor, y: torch.Tensor) -> list[tuple[float, float]]:
    R = stack.replicas
    loss_sum = torch.zeros(R, dtype=torch.float64, device=x.device)
    correct = torch.zeros(R, dtype=torch.int64, device=x.device)
    for xs, ys in zip(x.split(EVAL_CHUNK), y.split(EVAL_CHUNK), strict=True):
        logits = stack.forward(xs)  # [R, chunk, C]
        target = ys.expand(R, -1)
        loss = F.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none")
        loss_sum += loss.view(R, -1).double().sum(1)
        correct += (logits.argmax(2) == target).sum(1)
    return [(float(loss_sum[r]) / len(y), int(correct[r]) / len(y)) for r in range(R)]


def _finish_epoch(
    rep: Replica, record: EpochRecord, epoch: int, options: TrainOptions
) -> Iterator[EpochRecord]:
    if options.histogram_freq and epoch % options.histogram_freq == 0:
        record.histograms = _histograms(rep.model)
    for cb in rep.callbacks:
        rep.ctx.findings += cb.on_epoch_end(rep.ctx, record)
    record.findings, rep.reported = rep.ctx.findings[rep.reported :], len(rep.ctx.findings)
    last = epoch == rep.spec.epochs or rep.ctx.stop_reason
    if options.checkpoint_every and (epoch % options.checkpoint_every == 0 or last):
        record.checkpoint = save_checkpoint(
            epoch, rep.ctx.step, rep.model, rep.optimizer, rep.order
        )
    rep.stopped = bool(rep.ctx.stop_reason)
    yield record
