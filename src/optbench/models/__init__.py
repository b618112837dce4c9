"""Models: a registry of architectures and seeded, profile-initialised construction."""

from optbench.models.losses import LOSSES, LossInfo
from optbench.models.registry import (
    HEAD_ACTIVATIONS,
    MODELS,
    ModelInfo,
    build_model,
    parse_model,
    validate_model,
)

__all__ = [
    "HEAD_ACTIVATIONS",
    "LOSSES",
    "MODELS",
    "LossInfo",
    "ModelInfo",
    "build_model",
    "parse_model",
    "validate_model",
]
