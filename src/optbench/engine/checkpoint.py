"""Checkpoints: everything needed to continue a trial exactly where an epoch ended.

A checkpoint is bytes, not a file: workers (possibly on other machines) send it to the driver
with the epoch's record, and the driver, the only writer of the study folder, stores it
atomically. Loading uses `weights_only=True`: a checkpoint never runs code.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from optbench.core.errors import StoreError
from optbench.engine.batches import BatchOrder


@dataclass
class Checkpoint:
    epoch: int  # the last finished epoch
    step: int  # optimizer steps taken
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    batch_order: torch.Tensor  # generator state: the next epoch's permutation follows from it
    torch_rng: torch.Tensor


def save_checkpoint(
    epoch: int, step: int, model: nn.Module, optimizer: torch.optim.Optimizer, order: BatchOrder
) -> bytes:
    buffer = io.BytesIO()
    torch.save(
        {
            "epoch": epoch,
            "step": step,
            # clone(): a replica's weights are views into a stacked tensor, and torch.save
            # would otherwise write the whole stack's storage.
            "model": {k: v.clone() for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "batch_order": order.get_state(),
            "torch_rng": torch.get_rng_state(),
        },
        buffer,
    )
    return buffer.getvalue()


def load_checkpoint(blob: bytes, *, source: str = "checkpoint") -> Checkpoint:
    """Parse checkpoint bytes (never unpickling code); a damaged one is a clear StoreError."""
    try:
        with warnings.catch_warnings():  # a damaged file can make torch warn before it fails
            warnings.simplefilter("ignore")
            raw = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
        return Checkpoint(**raw)
    except Exception as exc:
        raise StoreError(
            f"{source} is damaged or not an optbench checkpoint ({type(exc).__name__}: {exc}). "
            "Delete it to restart that trial from epoch 1."
        ) from exc


def restore(
    checkpoint: Checkpoint, model: nn.Module, optimizer: torch.optim.Optimizer, order: BatchOrder
) -> None:
    model.load_state_dict(checkpoint.model)
    optimizer.load_state_dict(checkpoint.optimizer)
    order.set_state(checkpoint.batch_order)
    torch.set_rng_state(checkpoint.torch_rng)
