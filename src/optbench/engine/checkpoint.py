"""Checkpoints: everything needed to continue a trial exactly where an epoch ended.

Weights, optimizer state, the batch order's generator, the replica's random stream, the step
count, and its monitors as they are (their history, the findings raised so far): a trial
continued from a checkpoint — after a kill, or in another process — gives the numbers *and*
the findings of an uninterrupted run.

A checkpoint is bytes, not a file: workers (possibly on other machines) send it to the driver
with the epoch's record, and the driver, the only writer of the study folder, stores it
atomically. Loading uses torch's `weights_only` unpickler: tensors, plain containers and
numbers, and — for the monitors — only optbench's own Callback classes, Finding and
EpochRecord. A checkpoint never runs code.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from optbench.core.errors import StoreError
from optbench.core.specs import EpochRecord, Finding
from optbench.engine.batches import BatchOrder
from optbench.engine.callbacks import Callback

# (callbacks, findings raised so far, how many of them were already reported)
Monitors = tuple[list[Callback], list[Finding], int]
RandomState = tuple[torch.Tensor, torch.Tensor | None]  # CPU generator, GPU generator


@dataclass
class Checkpoint:
    epoch: int  # the last finished epoch
    step: int  # optimizer steps taken
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    batch_order: torch.Tensor  # generator state: the next epoch's permutation follows from it
    rng: RandomState  # the replica's random stream
    monitors: Monitors | None = None


def save_checkpoint(
    epoch: int,
    step: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    order: BatchOrder,
    rng: RandomState,
    monitors: Monitors | None = None,
) -> bytes:
    buffer = io.BytesIO()
    torch.save(
        {
            "epoch": epoch,
            "step": step,
            # clone(): torch.save writes a view's whole storage otherwise.
            "model": {k: v.clone() for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "batch_order": order.get_state(),
            "rng": rng,
            "monitors": monitors,
        },
        buffer,
    )
    return buffer.getvalue()


def load_checkpoint(blob: bytes, *, source: str = "checkpoint") -> Checkpoint:
    """Parse checkpoint bytes (never unpickling code); a damaged one is a clear StoreError."""
    try:
        with warnings.catch_warnings(), torch.serialization.safe_globals(_monitor_classes()):
            warnings.simplefilter("ignore")  # a damaged file can make torch warn before it fails
            raw = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
        return Checkpoint(**raw)
    except Exception as exc:
        raise StoreError(
            f"{source} is damaged or not an optbench checkpoint ({type(exc).__name__}: {exc}). "
            "Delete it to restart that trial from epoch 1."
        ) from exc


def _monitor_classes() -> list[type]:
    """What a checkpoint's monitors may be made of: optbench's own callback classes (every
    subclass loaded now, defined in an optbench module), findings and epoch records."""
    found: list[type] = [Finding, EpochRecord, set, frozenset]
    todo = [Callback]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("optbench."):
            found.append(cls)
        todo += cls.__subclasses__()
    return found
