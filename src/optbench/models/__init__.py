"""Models: a registry of architectures and seeded, profile-initialised construction."""

from optbench.models.cost import ModelCost, model_cost
from optbench.models.factory import FACTORY
from optbench.models.head import HEAD_ACTIVATIONS, cached_logits, head_layers
from optbench.models.losses import LOSSES, LossInfo
from optbench.models.registry import (
    MODELS,
    ModelInfo,
    build_model,
    describe_model,
    parse_model,
    validate_model,
)
from optbench.models.size import parameter_count, training_bytes
from optbench.models.task import TASKS, Metric, Task

__all__ = [
    "FACTORY",
    "HEAD_ACTIVATIONS",
    "LOSSES",
    "MODELS",
    "TASKS",
    "LossInfo",
    "Metric",
    "ModelCost",
    "ModelInfo",
    "Task",
    "build_model",
    "cached_logits",
    "describe_model",
    "head_layers",
    "model_cost",
    "parameter_count",
    "parse_model",
    "training_bytes",
    "validate_model",
]
