"""One word for what a finished trial did: learns, stuck at chance, loss frozen, or diverged.

`verdict(epochs, num_classes)` reads only the per-epoch metrics (as the store and StudyView
hold them), so the head table of a report can label every configuration without retraining.
Rules, first match wins:

  * diverged        — a loss became NaN/Inf, or the training loss grew to 10× its first value;
  * loss frozen     — the training loss stopped moving (relative spread ≤ 1e-4 over the last
                      half of the epochs, at least two) while still above 0.01: no gradient
                      reaches the weights any more (the seed's 2-unit tanh head, 7.6685);
  * stuck at chance — train and validation accuracy never beat chance by more than 2 points
                      (chance = the majority class's share when given, else 1/C): the
                      prediction does not depend on the input (the seed's 1-unit softmax);
  * learns          — anything else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

FROZEN_REL = 1e-4
FROZEN_MIN_LOSS = 0.01  # a loss that has converged to ~0 is finished, not frozen
DIVERGED_FACTOR = 10.0
CHANCE_MARGIN = 0.02
EXACT = 1e-9

Epoch = Mapping[str, float]
LABELS = ("learns", "stuck at chance", "loss frozen", "diverged")


def _get(epoch: Epoch, tag: str) -> float:
    """`train/loss` (StudyView's tags) or `train_loss` (EpochRecord fields)."""
    value = epoch.get(tag, epoch.get(tag.replace("/", "_"), math.nan))
    return float(value) if value is not None else math.nan


def _series(epochs: Sequence[Epoch], tag: str) -> list[float]:
    return [_get(e, tag) for e in epochs]


def verdict(
    epochs: Sequence[Epoch], num_classes: int, *, chance: float | None = None
) -> tuple[str, str]:
    """(label, explanation) for one trial's epochs. `chance`: the majority-class share of the
    validation set, when known (defaults to 1/num_classes, right for balanced classes)."""
    if not epochs:
        return "not run", "No epoch finished."
    chance = 1.0 / num_classes if chance is None else chance
    for rule in (_diverged, _frozen, _at_chance):
        found = rule(epochs, chance)
        if found is not None:
            return found
    return "learns", _learning(epochs, chance)


def _diverged(epochs: Sequence[Epoch], chance: float) -> tuple[str, str] | None:
    for e in epochs:
        for tag in ("train/loss", "val/loss"):
            value = _get(e, tag)
            if not math.isfinite(value):
                return "diverged", (
                    f"The {tag.split('/')[0]} loss became {value} in epoch {int(_get(e, 'epoch'))}: "
                    "the updates blew up (learning rate too high, unscaled inputs)."
                )
    train = _series(epochs, "train/loss")
    if len(train) > 1 and train[0] > 0 and max(train[1:]) > DIVERGED_FACTOR * train[0]:
        return "diverged", (
            f"The training loss grew from {train[0]:.4g} to {max(train[1:]):.4g}: the updates "
            "overshoot (learning rate too high)."
        )
    return None


def _frozen(epochs: Sequence[Epoch], chance: float) -> tuple[str, str] | None:
    train = _series(epochs, "train/loss")
    tail = train[-max(2, math.ceil(len(train) / 2)) :]
    if len(train) < 2 or tail[-1] <= FROZEN_MIN_LOSS:
        return None
    spread = max(tail) - min(tail)
    if spread > FROZEN_REL * max(1.0, abs(tail[-1])):
        return None
    first = len(train) - len(tail) + 1
    val = _get(epochs[-1], "val/loss")
    text = (
        f"The training loss stayed at {tail[-1]:.4f} from epoch {first} to {len(train)} "
        f"(spread {spread:.1e}; validation {val:.4f}): no gradient reaches the weights any more, "
        "so nothing is learned."
    )
    return "loss frozen", f"{text} {_accuracy_note(epochs, chance)}".strip()


def _at_chance(epochs: Sequence[Epoch], chance: float) -> tuple[str, str] | None:
    accs = _series(epochs, "train/acc") + _series(epochs, "val/acc")
    if any(math.isnan(a) for a in accs) or max(accs) > chance + CHANCE_MARGIN:
        return None
    train = _series(epochs, "train/loss")
    moved = (
        f" The loss still moved ({train[0]:.4f} → {train[-1]:.4f}): what the loss optimises is "
        "not what the model predicts."
        if len(train) > 1 and abs(train[-1] - train[0]) > FROZEN_REL * max(1.0, abs(train[0]))
        else ""
    )
    return "stuck at chance", (
        f"{_accuracy_note(epochs, chance) or _range_note(accs, chance)} The predictions do not "
        f"depend on the input.{moved}"
    )


def _accuracy_note(epochs: Sequence[Epoch], chance: float) -> str:
    accs = _series(epochs, "train/acc") + _series(epochs, "val/acc")
    if accs and all(abs(a - chance) <= EXACT for a in accs):
        return (
            f"Accuracy was exactly {chance:.4f} (chance) in every epoch, train and validation."
        )
    return ""


def _range_note(accs: list[float], chance: float) -> str:
    return (
        f"Accuracy stayed between {min(accs):.4f} and {max(accs):.4f} in every epoch, within "
        f"{CHANCE_MARGIN:.2f} of chance ({chance:.4f})."
    )


def _learning(epochs: Sequence[Epoch], chance: float) -> str:
    val = _series(epochs, "val/acc")
    train = _series(epochs, "train/loss")
    best = max(range(len(val)), key=lambda i: val[i])
    return (
        f"Validation accuracy {val[0]:.4f} → {val[-1]:.4f} (best {val[best]:.4f} in epoch "
        f"{best + 1}; chance {chance:.4f}); training loss {train[0]:.4f} → {train[-1]:.4f}."
    )
