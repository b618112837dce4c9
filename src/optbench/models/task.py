"""Tasks: what a trial learns — and so its loss, its metrics, its outputs and its chance level.

    classification   class-index labels [N]; loss cross-entropy; accuracy
    binary           0/1 labels [N]; one output unit; loss BCE on logits; accuracy
    regression       real targets [N] or [N, D]; loss MSE (or MAE, Huber); MAE and R²
    language_model   token sequences [N, T] → next tokens [N, T]; per-token cross-entropy;
                     perplexity (exp of the loss) and next-token accuracy

The tasks and their metrics are named in core/task.py (the report reads them without torch).
A task turns a batch's outputs into running sums (`batch_sums`: kept on the device, one host
sync per epoch) and sums into an epoch's metrics (`finish`). The first element of every sum
vector is how many items were scored (examples, or tokens), the second the summed loss. The
report ranks by the task's `primary` metric; monitors read its chance level.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from optbench.core.errors import ConfigError
from optbench.core.imports import is_reference, load_object
from optbench.core.registry import Registry, suggest
from optbench.core.task import TASK_KINDS, Metric, TaskKind
from optbench.models.losses import LOSSES, LossInfo, argmax_correct, encode_index


@dataclass(frozen=True)
class Task:
    """A task (core/task.py: its name and metrics) with what training needs: its losses,
    running sums and metrics from sums."""

    kind: TaskKind
    losses: Callable[[], dict[str, LossInfo]]  # the built-in losses that fit

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def default_loss(self) -> str:
        return self.kind.default_loss

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return self.kind.metrics

    @property
    def primary(self) -> Metric:
        return self.kind.primary

    def loss_info(self, name: str, base: Path | None = None) -> LossInfo:
        """The loss `name` of this task, or the user's `module:function` loss."""
        known = self.losses()
        if is_reference(name):
            fn = load_object(name, "loss", base)
            if not callable(fn):
                raise ConfigError(f"The loss {name!r} is not callable (it is {fn!r}).")
            default = known[self.default_loss]
            return replace(default, name=name, loss=fn, description=f"your loss {name}")
        if name not in known:
            hint = suggest(name, list(known))
            raise ConfigError(
                f"The loss '{name}' does not fit the {self.name} task.{hint} Its losses: "
                f"{', '.join(known)}, or your own as 'module:function'."
            )
        return known[name]

    def batch_sums(
        self, outputs: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, info: LossInfo
    ) -> torch.Tensor:
        """float64 sums of one batch: [items, loss·items, …] (see `finish`)."""
        return _SUMS[self.name](outputs.detach(), labels, loss.detach(), info)

    def finish(self, sums: list[float]) -> dict[str, float]:
        """An epoch's (or a split's) metrics from its summed `batch_sums`: `loss` and each of
        `metrics` by name."""
        return _FINISH[self.name](sums)

    def sums_size(self) -> int:
        return _SIZES[self.name]


def _classification_sums(out, labels, loss, info) -> torch.Tensor:
    n = len(labels)
    count = torch.tensor(float(n), dtype=torch.float64, device=out.device)
    return torch.stack([count, loss.double() * n, info.correct(out, labels).double()])


def _classification_finish(sums: list[float]) -> dict[str, float]:
    n, loss, correct = sums
    return {"loss": loss / n, "acc": correct / n} if n else {"loss": math.nan, "acc": math.nan}


def _regression_sums(out, targets, loss, info) -> torch.Tensor:
    y = encode_regression(targets, out).double()
    err = out.double() - y
    n = float(len(targets))
    values = [
        torch.tensor(n, dtype=torch.float64, device=out.device),
        loss.double() * n,
        err.abs().sum(),
        err.square().sum(),
        y.sum(),
        y.square().sum(),
        torch.tensor(float(y.numel()), dtype=torch.float64, device=out.device),
    ]
    return torch.stack(values)


def _regression_finish(sums: list[float]) -> dict[str, float]:
    n, loss, abs_err, sq_err, y_sum, y_sq, elements = sums
    if not n:
        return {"loss": math.nan, "mae": math.nan, "r2": math.nan}
    spread = y_sq - y_sum * y_sum / elements  # Σ(y - ȳ)², pooled over outputs
    r2 = 1 - sq_err / spread if spread > 0 else math.nan
    return {"loss": loss / n, "mae": abs_err / elements, "r2": r2}


def _lm_sums(out, tokens, loss, info) -> torch.Tensor:
    n = float(tokens.numel())
    correct = (out.argmax(-1) == tokens).sum().double()
    return torch.stack(
        [torch.tensor(n, dtype=torch.float64, device=out.device), loss.double() * n, correct]
    )


def _lm_finish(sums: list[float]) -> dict[str, float]:
    n, loss, correct = sums
    if not n:
        return {"loss": math.nan, "perplexity": math.nan, "acc": math.nan}
    mean = loss / n
    return {"loss": mean, "perplexity": math.exp(min(mean, 700.0)), "acc": correct / n}


_SUMS = {
    "classification": _classification_sums,
    "binary": _classification_sums,
    "regression": _regression_sums,
    "language_model": _lm_sums,
}
_FINISH = {
    "classification": _classification_finish,
    "binary": _classification_finish,
    "regression": _regression_finish,
    "language_model": _lm_finish,
}
_SIZES = {"classification": 3, "binary": 3, "regression": 7, "language_model": 3}


def encode_regression(targets: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """Real targets [B] or [B, D] shaped like the outputs [B, D] (a [B] target and one
    output unit: a column)."""
    return targets.to(outputs.dtype).reshape(outputs.shape)


def _regression_losses() -> dict[str, LossInfo]:
    def info(name: str, fn: Callable[..., torch.Tensor], text: str) -> LossInfo:
        return LossInfo(name, text, fn, _no_accuracy, encode_regression, None, "regression")

    return {
        "mse": info("mse", F.mse_loss, "Mean squared error on real-valued targets."),
        "mae": info("mae", F.l1_loss, "Mean absolute error (L1) on real-valued targets."),
        "huber": info("huber", F.huber_loss, "Huber loss (δ = 1): MSE near 0, MAE beyond."),
    }


def _no_accuracy(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return torch.zeros((), device=outputs.device)


def token_cross_entropy(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every position: logits [B, T, V], tokens [B, T]."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1))


def _lm_losses() -> dict[str, LossInfo]:
    return {
        "cross_entropy": LossInfo(
            "cross_entropy",
            "Cross-entropy of the next token at every position of the sequence.",
            token_cross_entropy,
            lambda out, tokens: (out.argmax(-1) == tokens).sum(),
            encode_index,
            lambda vocab: math.log(vocab),
            "logits",
        )
    }


def _classification_losses() -> dict[str, LossInfo]:
    return {info.name: info for info in LOSSES}


_LOSSES = {
    "classification": _classification_losses,
    "binary": _classification_losses,
    "regression": _regression_losses,
    "language_model": _lm_losses,
}
TASKS: Registry[Task] = Registry("task")
for _name, _kind in TASK_KINDS.items():
    TASKS.register(_name, Task(_kind, _LOSSES[_name]))


__all__ = ["TASKS", "Metric", "Task", "argmax_correct"]
