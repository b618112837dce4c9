"""Optimizer cards: what each optimizer costs and needs, MEASURED, next to the seed's claims.

A card holds, for one optimizer setting (registry entry, chosen setting, or import path):

- state bytes/param: tensors in `optimizer.state[p]` shaped like `p`, summed over all parameters
  and divided by the parameter count (float32 unless asked otherwise);
- per-tensor counters: the other, small entries (torch's `step` is a 4-byte float32 tensor per
  parameter tensor; our ports keep `step` as a Python int), listed separately;
- peak temporaries: the most bytes of tensors alive at once inside a second (steady-state) step,
  per element of the largest parameter tensor (the loops work one tensor at a time);
- hyperparameters, counted one way for every optimizer: each number the update rule takes is
  one (betas is two numbers, β₁ and β₂; eps counts wherever the rule has one), flags such as
  `nesterov` or `amsgrad` are switches that pick a variant, not numbers to tune; *in use* are
  the numbers that are not 0 at the resolved values. The seed's table counts otherwise (Adam's
  betas as one, Adagrad without its eps), so its counts are compared and the differences named.

The measuring itself is `optbench.optim.probe` (torch); this module holds the records and the
renderers (rows, Markdown, JSON), and turns cached JSON back into cards without torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from optbench.core.specs import Profile
from optbench.optim.guidance import CHOOSING, SOURCES, Claim, guidance_for

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
    tunable: tuple[str, ...]  # every number the rule takes (betas → betas[0], betas[1])
    active: tuple[str, ...]  # those not 0 at the resolved values
    torch_defaults: dict[str, Any]
    keras_defaults: dict[str, Any]
    state: StateMeasure
    claim: SeedClaim | None
    disagreements: tuple[str, ...]


# ---- counting hyperparameters ----------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def tunable_hparams(hparams: dict[str, Any]) -> tuple[str, ...]:
    """Every number the update takes, each element of a tuple on its own (`betas[0]`, …)."""
    names: list[str] = []
    for name, value in hparams.items():
        if isinstance(value, tuple | list):
            names += [f"{name}[{i}]" for i, v in enumerate(value) if _is_number(v)]
        elif _is_number(value):
            names.append(name)
    return tuple(names)


def active_hparams(hparams: dict[str, Any]) -> tuple[str, ...]:
    """The tunable numbers that change the update at their value: those that are not 0."""
    active: list[str] = []
    for name, value in hparams.items():
        if isinstance(value, tuple | list):
            active += [f"{name}[{i}]" for i, v in enumerate(value) if _is_number(v) and v]
        elif _is_number(value) and value:
            active.append(name)
    return tuple(active)


def switches(hparams: dict[str, Any]) -> dict[str, bool]:
    """The flags that pick a variant of the rule (`nesterov`, `amsgrad`, `centered`, …)."""
    return {k: v for k, v in hparams.items() if isinstance(v, bool)}


def disagreements(
    state: StateMeasure, active: tuple[str, ...], claim: SeedClaim | None
) -> tuple[str, ...]:
    """How the measured card differs from the seed's table (nothing for settings it omits)."""
    if claim is None:
        return ()
    found = []
    measured, claimed = state.bytes_per_param, claim.bytes_per_param
    if not math.isclose(measured, claimed):
        found.append(f"state: measured {measured:g} B/param, the seed says {claimed}")
    if len(active) != claim.tunable:
        found.append(
            f"hyperparameters: {len(active)} in use ({', '.join(active)}), "
            f"the seed counts {claim.tunable}"
        )
    return tuple(found)


# ---- JSON round trip (the measured-card cache) -----------------------------------------------


def card_to_dict(card: OptimizerCard) -> dict[str, Any]:
    """A JSON-ready dict of the card (tuples become lists)."""
    return _jsonable(asdict(card))


def card_from_dict(data: dict[str, Any]) -> OptimizerCard:
    """The card `card_to_dict` wrote (hyperparameter tuples come back as tuples)."""
    state = data["state"]
    claim = data["claim"]
    fields = {
        **data,
        "hparams": _tuples(data["hparams"]),
        "torch_defaults": _tuples(data["torch_defaults"]),
        "keras_defaults": _tuples(data["keras_defaults"]),
        "tunable": tuple(data["tunable"]),
        "active": tuple(data["active"]),
        "disagreements": tuple(data["disagreements"]),
        "state": StateMeasure(
            **{**state, "buffers": tuple(state["buffers"]), "counters": tuple(state["counters"])}
        ),
        "claim": SeedClaim(**claim) if claim else None,
    }
    return OptimizerCard(**fields)


def _tuples(values: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


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


# ---- rendering: rows, Markdown, JSON ---------------------------------------------------------

MEASURED_HEADERS = (
    "optimizer",
    "profile",
    "state B/param",
    "state buffers",
    "per-tensor counters",
    "peak temp B/elem",
    "hparams in use/all",
    "seed claim",
    "agrees with seed",
)
DEFAULTS_HEADERS = ("optimizer", "torch defaults", "keras defaults", "update rule", "paper")


def value_text(value: Any) -> str:
    """A hyperparameter value as the cards print it: `0.001`, `0.9/0.999`, `false`."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return "/".join(value_text(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def hparam_text(hparams: dict[str, Any]) -> str:
    return ", ".join(f"{k}={value_text(v)}" for k, v in hparams.items())


def claim_text(card: OptimizerCard) -> str:
    """The seed's claim: `8 B, 3` (bytes per parameter, tunable count) or —."""
    return f"{card.claim.bytes_per_param} B, {card.claim.tunable}" if card.claim else "—"


def agreement(card: OptimizerCard) -> str:
    """`yes`, `—` (no claim) or `NO: …` with every difference."""
    if not card.claim:
        return "—"
    return f"NO: {'; '.join(card.disagreements)}" if card.disagreements else "yes"


def measured_rows(cards: Sequence[OptimizerCard]) -> list[list[str]]:
    """One row per card under MEASURED_HEADERS."""
    return [
        [
            card.label,
            card.profile,
            f"{card.state.bytes_per_param:g}",
            ", ".join(card.state.buffers) or "none",
            ", ".join(card.state.counters) or "none",
            f"{card.state.peak_temp_per_element:.2f}",
            f"{len(card.active)}/{len(card.tunable)}",
            claim_text(card),
            agreement(card),
        ]
        for card in cards
    ]


def defaults_rows(cards: Sequence[OptimizerCard]) -> list[list[str]]:
    """One row per distinct optimizer under DEFAULTS_HEADERS."""
    seen: dict[str, list[str]] = {}
    for card in cards:
        seen.setdefault(
            card.name,
            [
                card.name,
                hparam_text(card.torch_defaults),
                hparam_text(card.keras_defaults),
                card.formula,
                card.reference,
            ],
        )
    return list(seen.values())


def method_notes(cards: Sequence[OptimizerCard]) -> list[str]:
    """How the numbers were measured and counted (printed under the tables)."""
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
        "hparams in use/all: every number the rule takes counts once (betas as β₁ and β₂, eps "
        "included); in use = not 0 at the resolved values; flags (nesterov, amsgrad, …) pick a "
        "variant and are not counted. The seed's table counts otherwise (Adam's betas as one, "
        "Adagrad without eps).",
    ]


def choosing_lines() -> list[str]:
    """Which optimizer at all: the literature's short answer, each line with its sources."""
    return [f"{claim.text} {cite(claim)}" for claim in CHOOSING]


def cite(claim: Claim) -> str:
    """`[Kingma & Ba 2015; Reddi et al. 2018]`: the short labels of a claim's sources."""
    return "[" + "; ".join(SOURCES[k].short for k in claim.sources) + "]"


def card_facts(card: OptimizerCard) -> list[tuple[str, str]]:
    """(name, text) pairs of one card in full: rule, settings, defaults, counts, memory, seed."""
    s = card.state
    off = [n for n in card.tunable if n not in card.active]
    flags = switches(card.hparams)
    counted = (
        f"{len(card.tunable)} numbers ({', '.join(card.tunable)}), {len(card.active)} in use"
        + (f" ({', '.join(off)} = 0)" if off else "")
        + (f"; switches: {hparam_text(flags)}" if flags else "")
    )
    if card.claim is None:
        seed = "not in the seed's table"
    else:
        verdict = "differs: " + "; ".join(card.disagreements) if card.disagreements else "agrees"
        seed = f"{claim_text(card)} tunable — {verdict}"
    facts = [
        ("paper", card.reference),
        ("update rule", card.formula),
        ("settings", hparam_text(card.hparams)),
        ("torch defaults", hparam_text(card.torch_defaults)),
        ("keras defaults", hparam_text(card.keras_defaults)),
        ("hyperparameters", counted),
        (
            "state",
            f"{s.bytes_per_param:g} B per {s.dtype} parameter: {', '.join(s.buffers) or 'none'}",
        ),
        ("per tensor", ", ".join(s.counters) or "nothing"),
        (
            "temporaries",
            f"at most {s.peak_temp_per_element:.2f} B per element of the largest tensor "
            "during a step",
        ),
        ("seed's table", seed),
    ]
    return [(k, v) for k, v in facts if v]


def card_markdown(card: OptimizerCard) -> str:
    """One card in full, in Markdown: its facts, then its guidance with numbered sources."""
    head = f"## {card.label} ({card.profile} profile, `{card.class_name}`)"
    lines = [head, "", card.description, ""] if card.description else [head, ""]
    lines += [f"- **{k}**: {v}" for k, v in card_facts(card)]
    guide = guidance_markdown(card.name)
    if guide:
        lines += ["", guide.replace(f"### {card.name}\n\n", "", 1), "", sources_markdown(card.name)]
    return "\n".join(lines) + "\n"


def sources_markdown(name: str) -> str:
    """`**Sources**` and one line per source a card's guidance cites ("" if none)."""
    guide = guidance_for(name)
    if guide is None:
        return ""
    keys = dict.fromkeys(k for claim in guide.claims() for k in claim.sources)
    lines = [f"- {SOURCES[k].short}: {SOURCES[k].citation} {SOURCES[k].url}".rstrip() for k in keys]
    return "**Sources**\n\n" + "\n".join(lines)


def _md_table(headers: Sequence[str], rows: list[list[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *map(line, rows)])


def cards_markdown(cards: Sequence[OptimizerCard]) -> str:
    """Two Markdown tables (measured; defaults and rules), the method notes, then each card's
    strengths, weaknesses and when to use it, and every source cited."""
    notes = "\n".join(f"- {n}" for n in method_notes(cards))
    profiles = sorted({c.profile for c in cards})
    choosing = "\n".join(f"- {line}" for line in choosing_lines())
    distinct = _distinct(cards)
    guides = "\n\n".join(filter(None, (guidance_markdown(c.name) for c in distinct)))
    cited = [*CHOOSING, *(c for card in distinct for c in _claims(card.name))]
    keys = dict.fromkeys(k for claim in cited for k in claim.sources)
    sources = "\n".join(
        f"- {SOURCES[k].short}: {SOURCES[k].citation} {SOURCES[k].url}".rstrip() for k in keys
    )
    return (
        "# Optimizers\n\n## Measured\n\n"
        f"{_md_table(MEASURED_HEADERS, measured_rows(cards))}\n\n{notes}\n\n"
        f"## Defaults and update rules ({', '.join(profiles)} profile)\n\n"
        f"{_md_table(DEFAULTS_HEADERS, defaults_rows(cards))}\n\n"
        f"## Which optimizer?\n\n{choosing}\n"
        + (f"\n{guides}\n" if guides else "")
        + f"\n## Sources\n\n{sources}\n"
    )


def _claims(name: str) -> tuple[Claim, ...]:
    guide = guidance_for(name)
    return guide.claims() if guide else ()


def _distinct(cards: Sequence[OptimizerCard]) -> list[OptimizerCard]:
    return list({c.name: c for c in reversed(cards)}.values())[::-1]


def guidance_markdown(name: str) -> str:
    """`### name` with strengths, weaknesses, when to use, and numbered sources ("" if none)."""
    guide = guidance_for(name)
    if guide is None:
        return ""
    parts = [f"### {name}"]
    for title, claims in (
        ("Strengths", guide.strengths),
        ("Weaknesses", guide.weaknesses),
        ("Use it when", guide.use_when),
    ):
        parts.append(f"**{title}**\n\n" + "\n".join(f"- {c.text} {cite(c)}" for c in claims))
    return "\n\n".join(parts)


def cards_json(cards: Sequence[OptimizerCard]) -> dict[str, Any]:
    """A JSON-ready dict: method notes, every card with its guidance, and the sources cited."""
    return {
        "method": method_notes(cards),
        "choosing": [_claim_json(c) for c in CHOOSING],
        "optimizers": [
            {**card_to_dict(card), "guidance": _guidance_json(card.name)} for card in cards
        ],
        "sources": {
            k: {"short": s.short, "citation": s.citation, "url": s.url} for k, s in SOURCES.items()
        },
    }


def _guidance_json(name: str) -> dict[str, Any] | None:
    guide = guidance_for(name)
    if guide is None:
        return None
    return {
        "strengths": [_claim_json(c) for c in guide.strengths],
        "weaknesses": [_claim_json(c) for c in guide.weaknesses],
        "use_when": [_claim_json(c) for c in guide.use_when],
    }


def _claim_json(claim: Claim) -> dict[str, Any]:
    return {"text": claim.text, "sources": list(claim.sources)}
