"""A trial's model for TensorBoard's graph: built as its trainer builds it, never trained."""

from __future__ import annotations

import torch
from torch import nn

from optbench.core.specs import TrialSpec
from optbench.models.registry import build_model


def trial_graph(
    spec: TrialSpec,
    input_shape: tuple[int, ...],
    num_outputs: int,
    example: torch.Tensor | None = None,
) -> tuple[nn.Module, torch.Tensor]:
    """(the trial's fresh model, one example): what TensorBoard traces to draw the model's
    graph, like Keras' TensorBoard callback writes by default. The same spec, shapes and seed
    as the trial's own model, so the same layers and head; building it is cheap. `example`:
    one real input (token ids for a language model); else zeros of `input_shape`."""
    model = build_model(spec.model, input_shape, num_outputs, seed=spec.seed)
    return model, torch.zeros(1, *input_shape) if example is None else example[:1]
