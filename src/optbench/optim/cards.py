"""Optimizer cards: what each optimizer costs and needs, MEASURED, next to the seed's claims.

For each optimizer (registry entry, chosen setting, or import path) we build a small real MLP,
take one step, and read the optimizer's actual state:

- state bytes/param: tensors in `optimizer.state[p]` shaped like `p`, summed over all parameters
  and divided by the parameter count (float32 unless asked otherwise);
- per-tensor counters: the other, small entries (torch's `step` is a 4-byte float32 tensor per
  parameter tensor; our ports keep `step` as a Python int), listed separately;
- peak temporaries: the most bytes of tensors alive at once inside a second (steady-state) step,
  from `memory.peak_temporary_bytes`, per element of the largest parameter tensor (the loops
  work one tensor at a time);
- hyperparameters: all of them, and the "active" ones (numbers that are not 0, flags that are
  on; betas counts once), compared with the seed document's count of tunable ones.

Renderers return data (rows, Markdown text, JSON-ready dicts); only the CLI prints.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from optbench.core.specs import OptimizerSpec, Profile
from optbench.optim.build import build_optimizer
from optbench.optim.catalog import OPTIMIZERS
from optbench.optim.memory import peak_temporary_bytes
from optbench.optim.parse import format_optimizer, parse_optimizer
from optbench.optim.resolve import resolve_optimizer
from optbench.optim.user import is_import_path, load_user_optimizer

PROBE_LAYERS = (32, 64, 10)  # the probe MLP: Linear(32→64), ReLU, Linear(64→10)
VARIANTS = ("rmsprop:momentum=0.9", "rmsprop:centered=true", "adam:amsgrad=true")


@dataclass(frozen=True)
class SeedClaim:
    """What the seed document says: state bytes per parameter and tunable hyperparameters."""

    bytes_per_param: int
    tunable: int


SEED_CLAIMS: dict[str, SeedClaim] = {
    "sgd": SeedClaim(0, 1),
    "momentum": SeedClaim(4, 2),
    "adagrad": SeedClaim(4, 1),
    "rmsprop": SeedClaim(4, 3),
    "adam": SeedClaim(8, 3),
    "adamw": SeedClaim(8, 3),
    "lars": SeedClaim(4, 3),
}


@dataclass(frozen=True)
class StateMeasure:
    """Optimizer memory measured on the probe model after one step."""

    dtype: str
    params: int
    bytes_per_param: float
    buffers: tuple[str, ...]
    counters: tuple[str, ...]
    counter_bytes_per_tensor: int
    peak_temp_bytes: int
    peak_temp_per_element: float


@dataclass(frozen=True)
class OptimizerCard:
    label: str
    name: str
    profile: Profile
    class_name: str
    description: str
    reference: str
    formula: str
    hparams: dict[str, Any]
    active: tuple[str, ...]
    torch_defaults: dict[str, Any]
    keras_defaults: dict[str, Any]
    state: StateMeasure
    claim: SeedClaim | None
    disagreements: tuple[str, ...]


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
                counters[f"{key} ({str(value.dtype).removeprefix('torch.')} tensor, {size} B)"] = (
                    None
                )
                counter_bytes += size
            else:
                counters[f"{key} (Python {type(value).__name__})"] = None
    return tuple(buffers), tuple(counters), buffer_bytes, counter_bytes


def active_hparams(hparams: dict[str, Any]) -> tuple[str, ...]:
    """Hyperparameters that change the update at their value: non-zero numbers, True flags."""
    active = []
    for name, value in hparams.items():
        if isinstance(value, tuple | list):
            value = any(v for v in value if isinstance(v, int | float))
        if isinstance(value, bool | int | float) and value:
            active.append(name)
    return tuple(active)


def optimizer_card(spec: OptimizerSpec, dtype: torch.dtype = torch.float32) -> OptimizerCard:
    """Everything about one optimizer setting, measured now."""
    resolved = resolve_optimizer(spec)
    label = format_optimizer(spec)
    info = _describe(resolved)
    state = measure_state(resolved, dtype)
    active = active_hparams(resolved.hparams)
    claim = SEED_CLAIMS.get(label)  # only for a registry name at its defaults
    return OptimizerCard(
        label=label,
        name=resolved.name,
        profile=resolved.profile,
        hparams=resolved.hparams,
        active=active,
        state=state,
        claim=claim,
        disagreements=_disagreements(state, active, claim),
        **info,
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


def _disagreements(
    state: StateMeasure, active: tuple[str, ...], claim: SeedClaim | None
) -> tuple[str, ...]:
    if claim is None:
        return ()
    found = []
    measured, claimed = state.bytes_per_param, claim.bytes_per_param
    if not math.isclose(measured, claimed):
        found.append(f"state: measured {measured:g} B/param, seed claims {claimed}")
    if len(active) != claim.tunable:
        found.append(
            f"hyperparameters: {len(active)} active ({', '.join(active)}), "
            f"seed claims {claim.tunable} tunable"
        )
    return tuple(found)


def optimizer_cards(
    texts: Sequence[str] | None = None,
    profile: Profile = "torch",
    dtype: torch.dtype = torch.float32,
) -> list[OptimizerCard]:
    """Cards for `texts` (names, settings, import paths); default: every entry plus VARIANTS."""
    if texts is None:
        texts = [*OPTIMIZERS.names(), *VARIANTS]
    return [optimizer_card(parse_optimizer(text, profile), dtype) for text in texts]


# ---- rendering: rows, Markdown, JSON ---------------------------------------------------------

MEASURED_HEADERS = (
    "optimizer",
    "profile",
    "state B/param",
    "state buffers",
    "per-tensor counters",
    "peak temp B/elem",
    "hparams active/all",
    "seed claim",
    "agrees with seed",
)
DEFAULTS_HEADERS = ("optimizer", "torch defaults", "keras defaults", "update rule", "paper")


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return "/".join(_value(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _hparam_text(hparams: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in hparams.items())


def measured_rows(cards: Sequence[OptimizerCard]) -> list[list[str]]:
    """One row per card under MEASURED_HEADERS."""
    rows = []
    for card in cards:
        s = card.state
        claim = f"{card.claim.bytes_per_param} B, {card.claim.tunable}" if card.claim else "—"
        agrees = "—" if not card.claim else "; ".join(card.disagreements) or "yes"
        rows.append(
            [
                card.label,
                card.profile,
                f"{s.bytes_per_param:g}",
                ", ".join(s.buffers) or "none",
                ", ".join(s.counters) or "none",
                f"{s.peak_temp_per_element:.2f}",
                f"{len(card.active)}/{len(card.hparams)}",
                claim,
                agrees if agrees in ("yes", "—") else f"NO: {agrees}",
            ]
        )
    return rows


def defaults_rows(cards: Sequence[OptimizerCard]) -> list[list[str]]:
    """One row per distinct optimizer under DEFAULTS_HEADERS."""
    seen: dict[str, list[str]] = {}
    for card in cards:
        seen.setdefault(
            card.name,
            [
                card.name,
                _hparam_text(card.torch_defaults),
                _hparam_text(card.keras_defaults),
                card.formula,
                card.reference,
            ],
        )
    return list(seen.values())


def method_notes(cards: Sequence[OptimizerCard]) -> list[str]:
    """How the numbers were measured (printed under the tables)."""
    dtype = cards[0].state.dtype if cards else "float32"
    params = cards[0].state.params if cards else 0
    n_in, n_hidden, n_out = PROBE_LAYERS
    return [
        f"Measured on an MLP Linear({n_in}→{n_hidden}), ReLU, Linear({n_hidden}→{n_out}) "
        f"({params} parameters, {dtype}) after one real step.",
        "state B/param: optimizer state tensors shaped like the parameters, per parameter.",
        "per-tensor counters: small extra state per parameter tensor (e.g. torch's `step`), "
        "not included in B/param.",
        "peak temp B/elem: most bytes of temporaries alive at once in a later step, per element "
        "of the largest parameter tensor (aten-level allocations).",
        "hparams active/all: active = non-zero numbers and true flags at the resolved values; "
        "the seed claim counts tunable hyperparameters.",
    ]


def _md_table(headers: Sequence[str], rows: list[list[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *map(line, rows)])


def cards_markdown(cards: Sequence[OptimizerCard]) -> str:
    """Two Markdown tables (measured; defaults and rules) and the method notes."""
    notes = "\n".join(f"- {n}" for n in method_notes(cards))
    profiles = sorted({c.profile for c in cards})
    return (
        "# Optimizers\n\n## Measured\n\n"
        f"{_md_table(MEASURED_HEADERS, measured_rows(cards))}\n\n{notes}\n\n"
        f"## Defaults and update rules ({', '.join(profiles)} profile)\n\n"
        f"{_md_table(DEFAULTS_HEADERS, defaults_rows(cards))}\n"
    )


def cards_json(cards: Sequence[OptimizerCard]) -> dict[str, Any]:
    """A JSON-ready dict: method notes and every card (tuples become lists)."""
    return {
        "method": method_notes(cards),
        "optimizers": [_jsonable(asdict(card)) for card in cards],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return repr(value)
