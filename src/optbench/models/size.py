"""A model's parameter count, measured without building it: on torch's meta device.

`--model mlp:100000000` used to be built for real to plan memory, and died in the allocator
with a traceback. Counting on the meta device allocates nothing, so the driver can refuse a
model that cannot fit before any work.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from optbench.core.specs import ModelSpec
from optbench.models.registry import MODELS, validate_model

# Floats a replica holds per parameter while it trains: weights, gradients, up to three
# optimizer buffers and one temporary (as ModelCost.train_bytes counts them).
FLOATS_PER_PARAMETER = 6


def parameter_count(spec: ModelSpec, input_shape: Sequence[int], num_classes: int) -> int:
    """Parameters of the built-in model `spec` builds for this data (nothing is allocated).
    A user's factory is not run on the meta device (its code may not expect it): 0 here, and
    the driver builds it once for real to check its outputs before any work."""
    validate_model(spec)
    if spec.factory is not None:
        return 0
    with torch.device("meta"):
        model = MODELS.get(spec.name).build(spec, tuple(input_shape), num_classes)
    return sum(p.numel() for p in model.parameters())


def training_bytes(parameters: int) -> int:
    """Memory one replica of a model of `parameters` needs to train (float32, activations
    aside)."""
    return 4 * FLOATS_PER_PARAMETER * parameters
