"""Measuring optimizer cards: build a small real MLP, take real steps, read the real state.

For each optimizer (registry entry, chosen setting, or import path) the probe model takes one
step and the optimizer's state is read (buffers shaped like a parameter count as state bytes,
anything else as a per-tensor counter); a second step runs under `memory.peak_temporary_bytes`.
The records and their rendering are in `optbench.optim.cards`.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import torch

from optbench.core.specs import OptimizerSpec, Profile
from optbench.optim.build import build_optimizer
from optbench.optim.cards import (
    PROBE_LAYERS,
    SEED_CLAIMS,
    VARIANTS,
    OptimizerCard,
    StateMeasure,
    active_hparams,
    disagreements,
    tunable_hparams,
)
from optbench.optim.catalog import OPTIMIZERS
from optbench.optim.memory import peak_temporary_bytes
from optbench.optim.parse import format_optimizer, parse_optimizer
from optbench.optim.resolve import resolve_optimizer
from optbench.optim.user import is_import_path, load_user_optimizer


def default_texts() -> list[str]:
    """What `optbench optimizers` measures by default: every registry entry plus VARIANTS."""
    return [*OPTIMIZERS.names(), *VARIANTS]


def probe_model(dtype: torch.dtype = torch.float32) -> torch.nn.Sequential:
    """The small MLP every card is measured on (seeded without touching the global RNG)."""
    n_in, n_hidden, n_out = PROBE_LAYERS
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        layers = [
            torch.nn.Linear(n_in, n_hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(n_hidden, n_out),
        ]
        return torch.nn.Sequential(*layers).to(dtype)


def measure_state(spec: OptimizerSpec, dtype: torch.dtype = torch.float32) -> StateMeasure:
    """Step twice on the probe model; read the state after step 1, watch memory in step 2."""
    model = probe_model(dtype)
    optimizer = build_optimizer(spec, model.parameters())
    x = torch.randn(8, PROBE_LAYERS[0], generator=torch.Generator().manual_seed(1)).to(dtype)

    def backward() -> None:
        optimizer.zero_grad()
        model(x).square().mean().backward()

    backward()
    optimizer.step()
    params = list(model.parameters())
    buffers, counters, buffer_bytes, counter_bytes = _read_state(optimizer, params)
    backward()
    peak = peak_temporary_bytes(optimizer.step)
    return StateMeasure(
        dtype=str(dtype).removeprefix("torch."),
        params=sum(p.numel() for p in params),
        bytes_per_param=buffer_bytes / sum(p.numel() for p in params),
        buffers=buffers,
        counters=counters,
        counter_bytes_per_tensor=counter_bytes // len(params),
        peak_temp_bytes=peak,
        peak_temp_per_element=peak / max(p.numel() for p in params),
    )


def _read_state(
    optimizer: torch.optim.Optimizer, params: list[torch.nn.Parameter]
) -> tuple[tuple[str, ...], tuple[str, ...], int, int]:
    """(buffer names, counter descriptions, buffer bytes, counter tensor bytes) over all params."""
    buffers: dict[str, None] = {}
    counters: dict[str, None] = {}
    buffer_bytes = counter_bytes = 0
    for p in params:
        for key, value in optimizer.state[p].items():
            if isinstance(value, torch.Tensor) and value.shape == p.shape and p.ndim > 0:
                buffers[key] = None
                buffer_bytes += value.numel() * value.element_size()
            elif isinstance(value, torch.Tensor):
                size = value.numel() * value.element_size()
                dtype = str(value.dtype).removeprefix("torch.")
                counters[f"{key} ({dtype} tensor, {size} B)"] = None
                counter_bytes += size
            else:
                counters[f"{key} (Python {type(value).__name__})"] = None
    return tuple(buffers), tuple(counters), buffer_bytes, counter_bytes


def optimizer_card(spec: OptimizerSpec, dtype: torch.dtype = torch.float32) -> OptimizerCard:
    """Everything about one optimizer setting, measured now."""
    resolved = resolve_optimizer(spec)
    label = format_optimizer(spec)
    state = measure_state(resolved, dtype)
    active = active_hparams(resolved.hparams)
    claim = SEED_CLAIMS.get(label)  # only for a registry name at its defaults
    return OptimizerCard(
        label=label,
        name=resolved.name,
        profile=resolved.profile,
        hparams=resolved.hparams,
        tunable=tunable_hparams(resolved.hparams),
        active=active,
        state=state,
        claim=claim,
        disagreements=disagreements(state, active, claim),
        **_describe(resolved),
    )


def _describe(spec: OptimizerSpec) -> dict[str, Any]:
    if is_import_path(spec.name):
        user = load_user_optimizer(spec.name)
        doc = inspect.getdoc(user.cls) or ""
        return {
            "class_name": f"{user.cls.__module__}.{user.cls.__qualname__}",
            "description": doc.splitlines()[0] if doc else "",
            "reference": "",
            "formula": "",
            "torch_defaults": dict(user.defaults),
            "keras_defaults": dict(user.defaults),
        }
    info = OPTIMIZERS.get(spec.name)
    cls = info.optimizer_class(spec.profile)
    return {
        "class_name": f"{cls.__module__}.{cls.__qualname__}",
        "description": info.description,
        "reference": info.reference,
        "formula": info.rule(spec.profile),
        "torch_defaults": dict(info.torch_defaults),
        "keras_defaults": dict(info.keras_defaults),
    }


def optimizer_cards(
    texts: Sequence[str] | None = None,
    profile: Profile = "torch",
    dtype: torch.dtype = torch.float32,
) -> list[OptimizerCard]:
    """Cards for `texts` (names, settings, import paths); default: every entry plus VARIANTS."""
    if texts is None:
        texts = default_texts()
    return [optimizer_card(parse_optimizer(text, profile), dtype) for text in texts]
