"""What "the same numbers" means in the engine's tests: a trial's whole observable outcome."""

from optbench.core.specs import EpochRecord, TrialResult

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")


def summary(events) -> dict[str, list[object]]:
    """Per trial: every epoch's metrics (repr: exact, and NaN equals NaN) and findings, then
    the result's status, final fingerprint and findings."""
    out: dict[str, list[object]] = {}
    for e in events:
        if isinstance(e, EpochRecord):
            metrics = tuple(repr(getattr(e, m)) for m in METRICS)
            out.setdefault(e.trial_id, []).append(
                (e.epoch, metrics, [f.message for f in e.findings])
            )
        elif isinstance(e, TrialResult):
            out.setdefault(e.trial_id, []).append((e.status, e.final_fingerprint))
    return out
