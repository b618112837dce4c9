"""Models: a registry of architectures and seeded, profile-initialised construction."""

from optbench.models.cost import ModelCost, model_cost
from optbench.models.head import HEAD_ACTIVATIONS, cached_logits, head_layers
from optbench.models.losses import LOSSES, LossInfo
from optbench.models.registry import (
    MODELS,
    ModelInfo,
    build_model,
    parse_model,
    validate_model,
)
from optbench.models.size import parameter_count, training_bytes

__all__ = [
    "HEAD_ACTIVATIONS",
    "LOSSES",
    "MODELS",
    "LossInfo",
    "ModelCost",
    "ModelInfo",
    "build_model",
    "cached_logits",
    "head_layers",
    "model_cost",
    "parameter_count",
    "parse_model",
    "training_bytes",
    "validate_model",
]
