"""The model registry, and `build_model`, which makes the fresh seeded model of a trial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from optbench.core.errors import ConfigError
from optbench.core.registry import Registry, suggest
from optbench.core.specs import ModelSpec
from optbench.models.convnet import ConvNet
from optbench.models.factory import FACTORY, build_from_factory
from optbench.models.head import validate_head
from optbench.models.init import apply_init
from optbench.models.mlp import ACTIVATIONS, MLP

Builder = Callable[[ModelSpec, tuple[int, ...], int], nn.Module]


@dataclass(frozen=True)
class ModelInfo:
    """A registered architecture. `default_hidden`: its Dense sizes when none are given."""

    name: str
    description: str
    build: Builder
    default_hidden: tuple[int, ...] = (128,)


MODELS: Registry[ModelInfo] = Registry("model")
MODELS.register(
    "mlp",
    ModelInfo(
        name="mlp",
        description="Flatten → Dense(h, activation) per hidden size → head "
        "(default: Dense(classes), logits out).",
        build=lambda spec, shape, classes: MLP(
            shape, spec.hidden, classes, spec.activation, spec.head_units, spec.head_activation
        ),
    ),
)
MODELS.register(
    "convnet",
    ModelInfo(
        name="convnet",
        description="The seed's cats-vs-dogs CNN: Conv 32-64-128-128 (3×3, max-pool 2 each) → "
        "Flatten → Dense(512) → head. Needs images of at least 16×16.",
        build=lambda spec, shape, classes: ConvNet(
            shape, spec.hidden, classes, spec.activation, spec.head_units, spec.head_activation
        ),
        default_hidden=(512,),
    ),
)

INIT_PROFILES = ("torch", "keras")


def parse_model(text: str, *, init: str = "torch", activation: str = "relu") -> ModelSpec:
    """`mlp`, `mlp:128` (the seed model), `mlp:256,128`, `mlp:128,activation=tanh`, `convnet`.

    Without hidden sizes a model gets its own default (mlp: 128, convnet: 512).
    """
    name, _, rest = text.strip().partition(":")
    hidden: list[int] = []
    for token in filter(None, (t.strip() for t in rest.split(","))):
        key, eq, value = token.partition("=")
        if eq and key == "activation":
            activation = value
        elif token.isdigit() and int(token) > 0:
            hidden.append(int(token))
        else:
            raise ConfigError(
                f"Bad model '{text}': '{token}' is neither a hidden size nor activation=NAME. "
                "Example: mlp:256,128,activation=tanh"
            )
    info = MODELS.get(name.lower())
    spec = ModelSpec(
        name=name.lower(),
        hidden=tuple(hidden) or info.default_hidden,
        activation=activation,
        init=init,  # type: ignore[arg-type]
    )
    validate_model(spec)
    return spec


def validate_model(spec: ModelSpec) -> None:
    if spec.factory is not None:
        if spec.init not in INIT_PROFILES:
            raise ConfigError(f"`init` must be 'torch' or 'keras'. Received: init={spec.init!r}")
        return
    MODELS.get(spec.name)
    if spec.activation not in ACTIVATIONS:
        hint = suggest(spec.activation, list(ACTIVATIONS))
        raise ConfigError(
            f"Unknown activation '{spec.activation}'.{hint} Known: {', '.join(ACTIVATIONS)}."
        )
    if spec.init not in INIT_PROFILES:
        raise ConfigError(f"`init` must be 'torch' or 'keras'. Received: init={spec.init!r}")
    validate_head(spec.head_units, spec.head_activation)


def build_model(
    spec: ModelSpec, input_shape: tuple[int, ...], num_classes: int, *, seed: int
) -> nn.Module:
    """A fresh model whose initial weights depend only on (spec, shapes, seed). `num_classes`
    is the number of outputs the task needs (models/task.py: task_outputs).

    The global RNG is forked so that building a model never disturbs other random streams,
    and two trials of one seed get bit-identical weights whatever optimizer follows.
    """
    validate_model(spec)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if spec.factory is not None:
            model = build_from_factory(spec, tuple(input_shape), num_classes)
        else:
            model = MODELS.get(spec.name).build(spec, tuple(input_shape), num_classes)
        apply_init(model, spec.init)
    return model


def describe_model(spec: ModelSpec) -> str:
    """`mlp 128 relu`, or `your factory mynets:build (width=64)`."""
    if spec.factory is None:
        return f"{spec.name} {'-'.join(map(str, spec.hidden))} {spec.activation}".strip()
    from optbench.core.specs import portable_reference

    kwargs = ", ".join(f"{k}={v!r}" for k, v in spec.kwargs)
    return f"{FACTORY} {portable_reference(spec.factory)}" + (f" ({kwargs})" if kwargs else "")
