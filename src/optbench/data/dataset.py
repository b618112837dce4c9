"""An in-memory dataset: tensors converted (and scaled) once at load, never per batch."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Split:
    """x: float32 [N, *input_shape], already scaled when the spec asked (int64 token ids for a
    language model); y: int64 [N] class indices, float32 [N] or [N, D] values (regression), or
    int64 [N, T] next tokens (language model)."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)

    def class_counts(self, num_classes: int) -> list[int]:
        return torch.bincount(self.y.flatten(), minlength=num_classes).tolist()


@dataclass
class Dataset:
    """A loaded dataset and what a study report needs to know about it.

    `raw_range` is the range the raw pixels live in (0-255 for 8-bit images, 0-16 for
    digits); `scaled` says whether x was mapped from it to [0, 1].
    """

    name: str
    train: Split
    test: Split
    num_classes: int
    class_names: list[str]
    input_shape: tuple[int, ...]
    scaled: bool
    raw_range: tuple[float, float]
    source: str
    # Files an image-folder reader skipped ("path: why"), and the options that changed the data.
    skipped: list[str] = field(default_factory=list)
    augment: str | None = None
    task: str = "classification"  # what the labels are for (models/task.py)
    target_shape: tuple[int, ...] = ()  # one regression target's shape ([] for a scalar)

    @property
    def num_outputs(self) -> int:
        """Outputs a model needs: one per class (or token), 1 for a binary task, the width of
        a regression target."""
        if self.task == "binary":
            return 1
        if self.task == "regression":
            return math.prod(self.target_shape) if self.target_shape else 1
        return self.num_classes

    def info(self) -> dict[str, Any]:
        """JSON-able summary (no tensors) for the study config and report."""
        labelled = self.task in ("classification", "binary")
        return {
            "name": self.name,
            "task": self.task,
            "num_classes": self.num_classes,
            "class_names": list(self.class_names) if len(self.class_names) <= 1000 else [],
            "input_shape": list(self.input_shape),
            "train_size": len(self.train),
            "test_size": len(self.test),
            **(
                {
                    "train_class_counts": self.train.class_counts(self.num_classes),
                    "test_class_counts": self.test.class_counts(self.num_classes),
                }
                if labelled
                else {}
            ),
            "scaled": self.scaled,
            "raw_range": [float(v) for v in self.raw_range],
            "source": self.source,
            **({"skipped": list(self.skipped)} if self.skipped else {}),
            **({"augment": self.augment} if self.augment else {}),
        }
