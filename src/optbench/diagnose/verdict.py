"""One word for what a finished trial did: learns, stuck at chance, loss frozen, or diverged.

`verdict(epochs, num_classes)` reads only the per-epoch metrics (as the store and StudyView
hold them), so the head table of a report can label every configuration without retraining.
Rules, first match wins:

  * diverged        — a loss became NaN or infinite;
  * loss frozen     — the training loss stopped moving (relative spread ≤ 1e-4 over at least
                      the last half of the epochs, two or more) while still above 0.01: no
                      gradient reaches the weights any more (the seed's 2-unit tanh head,
                      7.6685), whether it was frozen from the start or jumped there first;
  * diverged        — the training loss grew to 10× its first value and kept moving;
  * stuck at chance — train and validation accuracy never beat chance by more than 2 points
                      (chance = the majority class's share when given, else 1/C): the
                      prediction does not depend on the input (the seed's 1-unit softmax);
  * learns          — anything else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from optbench.diagnose.numbers import sig

FROZEN_REL = 1e-4
FROZEN_MIN_LOSS = 0.01  # a loss that has converged to ~0 is finished, not frozen
DIVERGED_FACTOR = 10.0
CHANCE_MARGIN = 0.02
UNSTABLE_FACTOR = 1.5  # a final training loss this far above its minimum is worth a word
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
    for rule in (_not_finite, _frozen, _grew, _at_chance):
        found = rule(epochs, chance)
        if found is not None:
            return found
    return "learns", _learning(epochs, chance)


def _not_finite(epochs: Sequence[Epoch], chance: float) -> tuple[str, str] | None:
    for e in epochs:
        for tag in ("train/loss", "val/loss"):
            value = _get(e, tag)
            if not math.isfinite(value):
                split, epoch = tag.split("/")[0], int(_get(e, "epoch"))
                return "diverged", (
                    f"The {split} loss became {value} in epoch {epoch}: the updates blew up "
                    "(learning rate too high, unscaled inputs)."
                )
    return None


def _grew(epochs: Sequence[Epoch], chance: float) -> tuple[str, str] | None:
    train = _series(epochs, "train/loss")
    if len(train) > 1 and train[0] > 0 and max(train[1:]) > DIVERGED_FACTOR * train[0]:
        return "diverged", (
            f"The training loss grew from {sig(train[0], 4)} to {sig(max(train[1:]), 4)}: the "
            "updates overshoot (learning rate too high)."
        )
    return None


def _frozen(epochs: Sequence[Epoch], chance: float) -> tuple[str, str] | None:
    train = _series(epochs, "train/loss")
    last = train[-1]
    if len(train) < 2 or last <= FROZEN_MIN_LOSS:
        return None
    tolerance = FROZEN_REL * max(1.0, abs(last))
    start = len(train) - 1  # the first epoch of the final constant stretch
    while start > 0 and abs(train[start - 1] - last) <= tolerance:
        start -= 1
    if len(train) - start < max(2, math.ceil(len(train) / 2)):
        return None
    val = _get(epochs[-1], "val/loss")
    before = (
        f" It got there from {train[0]:.4f} in epoch 1: the head collapsed, then froze."
        if start > 0 and abs(train[0] - last) > 10 * tolerance
        else ""
    )
    text = (
        f"The training loss stayed at {last:.4f} from epoch {start + 1} to {len(train)} "
        f"(validation {val:.4f}): no gradient reaches the weights any more, so nothing is "
        f"learned.{before}"
    )
    return "loss frozen", f"{text} {_accuracy_note(epochs, chance)}".strip()


def _at_chance(epochs: Sequence[Epoch], chance: float) -> tuple[str, str] | None:
    accs = _series(epochs, "train/acc") + _series(epochs, "val/acc")
    if any(math.isnan(a) for a in accs) or max(accs) > chance + CHANCE_MARGIN:
        return None
    train = _series(epochs, "train/loss")
    moved = (
        f" The loss still moved ({sig(train[0], 4)} → {sig(train[-1], 4)}): what the loss "
        "optimises is not what the model predicts."
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
        return f"Accuracy was exactly {chance:.4f} (chance) in every epoch, train and validation."
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
    text = (
        f"Validation accuracy {val[0]:.4f} → {val[-1]:.4f} (best {val[best]:.4f} in epoch "
        f"{best + 1}; chance {chance:.4f}); training loss {sig(train[0], 4)} → "
        f"{sig(train[-1], 4)}."
    )
    return text + _instability(val, train, chance)


def _instability(val: list[float], train: list[float], chance: float) -> str:
    """A learning run that keeps falling back to chance, or whose loss swings, says so."""
    first_good = next((i for i, a in enumerate(val) if a > chance + CHANCE_MARGIN), len(val))
    relapses = [i + 1 for i, a in enumerate(val) if i > first_good and a <= chance + CHANCE_MARGIN]
    notes = []
    if relapses:
        notes.append(
            f"validation accuracy fell back to chance in epoch(s) {', '.join(map(str, relapses))}"
        )
    if len(train) > 2 and train[-1] > UNSTABLE_FACTOR * min(train):
        notes.append(
            f"the training loss ended at {sig(train[-1], 4)}, {sig(train[-1] / min(train), 2)}× "
            f"its lowest ({sig(min(train), 4)})"
        )
    return f" Unstable: {'; '.join(notes)}." if notes else ""
