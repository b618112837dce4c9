"""Your own model: a factory by reference, called once per trial for a fresh nn.Module.

    def build(input_shape: tuple[int, ...], num_outputs: int, **kwargs) -> nn.Module

`input_shape` is one example's shape (e.g. (28, 28), or (T,) for token sequences),
`num_outputs` what the task needs (classes, 1 for a binary task, the target's width, the
vocabulary size). The factory runs under the trial's seed with the global random generator
forked (models/registry.py), so every trial of a seed starts from bit-identical weights — the
fingerprint in the report proves it — and `init = "keras"` re-initialises its Linear and Conv
layers as for the built-in models.
"""

from __future__ import annotations

from torch import nn

from optbench.core.errors import ConfigError
from optbench.core.imports import load_object
from optbench.core.specs import ModelSpec

FACTORY = "factory"  # ModelSpec.name of a model built by the user's factory


def build_from_factory(
    spec: ModelSpec, input_shape: tuple[int, ...], num_outputs: int
) -> nn.Module:
    assert spec.factory is not None
    build = load_object(spec.factory, "model factory")
    if not callable(build):
        raise ConfigError(f"The model factory {spec.factory!r} is not callable ({build!r}).")
    kwargs = dict(spec.kwargs)
    call = (
        f"{spec.factory}(input_shape={input_shape}, num_outputs={num_outputs}"
        + "".join(f", {k}={v!r}" for k, v in kwargs.items())
        + ")"
    )
    try:
        model = build(tuple(input_shape), num_outputs, **kwargs)
    except Exception as exc:
        raise ConfigError(
            f"The model factory raised {type(exc).__name__}: {exc} — called as {call}. It must "
            "accept (input_shape, num_outputs, **kwargs) and return an nn.Module."
        ) from exc
    if not isinstance(model, nn.Module):
        raise ConfigError(
            f"The model factory returned {type(model).__name__}, not a torch.nn.Module — "
            f"called as {call}. Return the module itself (e.g. `return nn.Sequential(...)`)."
        )
    if not any(True for _ in model.parameters()):
        raise ConfigError(f"The model from {call} has no parameters: there is nothing to train.")
    return model


def check_outputs(outputs: object, task: str, batch: int, num_outputs: int, ref: str) -> None:
    """A ConfigError unless the model's outputs for a batch fit the task (before training)."""
    import torch

    if not isinstance(outputs, torch.Tensor):
        raise ConfigError(
            f"The model from {ref} returned {type(outputs).__name__} from forward(), not a "
            "tensor: return the outputs (logits, or values for regression) as one tensor."
        )
    shape = tuple(outputs.shape)
    wanted = {
        "classification": ((batch, num_outputs),),
        "binary": ((batch, 1), (batch,)),
        "regression": ((batch, num_outputs),) + (((batch,),) if num_outputs == 1 else ()),
    }
    if task == "language_model":
        ok = len(shape) == 3 and shape[0] == batch and shape[2] == num_outputs
        need = f"(batch, sequence length, {num_outputs}): one logit per token of the vocabulary"
    else:
        ok = shape in wanted[task]
        need = (
            " or ".join(str(w) for w in wanted[task])
            + {
                "classification": f": one logit per class ({num_outputs})",
                "binary": ": one logit per example",
                "regression": f": one value per target ({num_outputs})",
            }[task]
        )
    if not ok:
        raise ConfigError(
            f"The model from {ref} gives outputs of shape {shape} for a batch of {batch}; the "
            f"{task} task needs {need}. Use the factory's `num_outputs` for the last layer."
        )
