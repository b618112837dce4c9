"""TensorBoard event files per trial: scalars, weight/gradient histograms, hparams, text.

One folder per trial under `<study>/tb/`, so `tensorboard --logdir <study>` lists every trial
as a run. Tags are the same `split/name` strings as the store and the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from optbench.core.specs import EpochRecord, Finding, TrialSpec

if TYPE_CHECKING:  # imported where used: reading a study (`optbench show`) needs none of them
    import numpy as np
    from tensorboard.compat.proto.summary_pb2 import HistogramProto
    from torch.utils.tensorboard import SummaryWriter


def run_name(spec: TrialSpec) -> str:
    """Readable, unique folder name: `adam-seed0-5f5f0d95`."""
    safe = "".join(c if c.isalnum() or c in "-_.=" else "_" for c in spec.group)
    return f"{safe}-seed{spec.seed}-{spec.id[:8]}"


# Equal-width buckets, as Keras' TensorBoard callback writes them (tf.summary.histogram's
# default of 30). torch's own default ("tensorflow": ~1,500 exponential edges searched per
# value) costs ~3× as much.
HISTOGRAM_BUCKETS = 30


def histogram(values: np.ndarray) -> HistogramProto | None:
    """The histogram `SummaryWriter.add_histogram(..., bins=HISTOGRAM_BUCKETS)` writes; None
    for values with a NaN or an infinity (a diverged trial: its findings say so), which have
    no equal-width buckets.

    Trainers compute it where the values are, so ~30 buckets travel to the driver instead of
    a copy of every weight and gradient, and the driver, which trains a group itself between
    writes, only writes it."""
    import numpy as np
    from torch.utils.tensorboard.summary import make_histogram

    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        return None
    return make_histogram(values, HISTOGRAM_BUCKETS)


class TensorBoardLog:
    """Writers for the trials of one study, opened lazily and closed when a trial ends."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._writers: dict[str, SummaryWriter] = {}

    def open(self, spec: TrialSpec, resumed_from: int = 0) -> None:
        """Open a trial's run. A fresh start rewrites it; a resumed trial appends, and TensorBoard
        drops events after `resumed_from` that an interrupted run wrote (purge_step)."""
        folder = self.root / run_name(spec)
        if spec.id in self._writers:  # a retried trial opens again
            self._writers.pop(spec.id).close()
        if not resumed_from:
            for stale in folder.glob("events.out.tfevents.*"):
                stale.unlink()
        purge = resumed_from + 1 if resumed_from else None
        from torch.utils.tensorboard import SummaryWriter

        self._writers[spec.id] = SummaryWriter(log_dir=str(folder), purge_step=purge)

    def epoch(self, record: EpochRecord) -> None:
        from tensorboard.compat.proto.summary_pb2 import Summary

        writer = self._writers[record.trial_id]
        for tag, value in record.scalars().items():
            writer.add_scalar(tag, value, record.epoch)
        for tag, histo in record.histograms.items():
            summary = Summary(value=[Summary.Value(tag=tag, histo=histo)])
            writer.file_writer.add_summary(summary, record.epoch)
        writer.flush()

    def finding(self, finding: Finding) -> None:
        writer = self._writers.get(finding.trial_id or "")
        if writer is not None:
            text = f"**{finding.severity}** `{finding.code}`: {finding.message} Fix: {finding.fix}"
            writer.add_text("findings", text, finding.epoch or 0)

    def close(self, spec: TrialSpec, final_metrics: dict[str, float]) -> None:
        writer = self._writers.pop(spec.id, None)
        if writer is None:
            return
        from torch.utils.tensorboard.summary import hparams

        exp, ssi, sei = hparams(_hparam_values(spec), final_metrics)
        for summary in (exp, ssi, sei):
            writer.file_writer.add_summary(summary)
        writer.close()

    def close_all(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


def _hparam_values(spec: TrialSpec) -> dict[str, Any]:
    values: dict[str, Any] = {
        "optimizer": spec.optimizer.name,
        "profile": spec.optimizer.profile,
        "seed": spec.seed,
        "batch_size": spec.batch_size,
        "epochs": spec.epochs,
        "model": spec.model.name + ":" + ",".join(map(str, spec.model.hidden)),
    }
    for key, value in spec.optimizer.hparams.items():
        values[f"opt.{key}"] = value if isinstance(value, int | float | str | bool) else str(value)
    return values
