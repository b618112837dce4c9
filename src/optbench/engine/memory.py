"""A model that cannot train in this machine's free memory is refused before it is built.

Building `mlp:1000000000` asks the allocator for ~4 TB and ends in a RuntimeError from
deep inside torch; the parameters are counted without building anything (models/size.py)."""

from __future__ import annotations

from collections.abc import Iterable

from optbench.core.errors import ConfigError
from optbench.core.specs import ModelSpec
from optbench.data import Dataset
from optbench.engine.env import available_memory
from optbench.models import parameter_count, training_bytes


def check_models_fit(models: Iterable[ModelSpec], data: Dataset, device: str) -> None:
    """Refuse, before any work, a model one copy of which cannot train in this machine's
    free memory (`--model mlp:100000000`): counted without building it."""
    free = available_memory(device)
    for model in set(models):
        count = parameter_count(model, data.input_shape, data.num_outputs)
        need = training_bytes(count)
        if need > free:
            raise ConfigError(
                f"The model ({model.name}, hidden={list(model.hidden)}) has {count:,} "
                f"parameters: training one copy needs about {need / 2**30:.1f} GiB, more than "
                f"the {free / 2**30:.1f} GiB free on {device}. Use fewer or smaller layers."
            )
