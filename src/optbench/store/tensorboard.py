"""TensorBoard event files per trial: scalars, weight/gradient histograms, hparams, text, and
the model's graph.

One folder per trial under `<study>/tb/`, so `tensorboard --logdir <study>` lists every trial
as a run. Tags are the same `split/name` strings as the store and the report.

The graph (TensorBoard's Graphs tab, which Keras' callback writes by default): the driver does
not hold a trial's model (workers train it), so it passes `graph`, which builds a fresh copy
from the trial's spec; it is traced once per architecture and written into every trial's run
with that architecture, after the trial's first epoch, so it never delays a first step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optbench.core.specs import EpochRecord, Finding, TrialSpec, stable_json

if TYPE_CHECKING:  # imported where used: reading a study (`optbench show`) needs none of them
    import numpy as np
    import torch
    from tensorboard.compat.proto.summary_pb2 import HistogramProto
    from torch.utils.tensorboard import SummaryWriter

GraphSource = Callable[[TrialSpec], "tuple[torch.nn.Module, torch.Tensor]"]


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


def model_graph(model: torch.nn.Module, example: torch.Tensor) -> tuple[Any, Any]:
    """(GraphDef, RunMetadata): what `SummaryWriter.add_graph(model, example)` writes.

    The same steps as torch's `_pytorch_graph.graph`, less the tracer's self-check, which
    compares the trace with a second run and, to do so, first imports torch.distributed.tensor
    (~0.7 s, in the driver, once per study).
    """
    import torch
    from tensorboard.compat.proto.config_pb2 import RunMetadata
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
    from tensorboard.compat.proto.versions_pb2 import VersionDef
    from torch.utils.tensorboard._pytorch_graph import parse

    training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # jit.trace: still what TB reads
            # A user model's Python branches are frozen into the trace; the graph is a picture.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            trace = torch.jit.trace(model, example, check_trace=False)
    finally:
        model.train(training)
    graph = trace.graph
    torch._C._jit_pass_inline(graph)
    nodes = parse(graph, trace, example)
    stats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))
    return GraphDef(node=nodes, versions=VersionDef(producer=22)), stats


class TensorBoardLog:
    """Writers for the trials of one study, opened lazily and closed when a trial ends.

    `graph`: builds a trial's model and an example input for its graph (None: no graph).
    """

    def __init__(self, root: Path, graph: GraphSource | None = None) -> None:
        self.root = root
        self._writers: dict[str, SummaryWriter] = {}
        self._graph_source = graph
        self._specs: dict[str, TrialSpec] = {}
        self._graphs: dict[str, tuple[Any, Any] | None] = {}  # architecture → traced graph
        self.graph_errors: dict[str, str] = {}  # architecture → why it could not be traced

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
        if not resumed_from and self._graph_source is not None:  # a resumed run has it already
            self._specs[spec.id] = spec

    def epoch(self, record: EpochRecord) -> None:
        from tensorboard.compat.proto.summary_pb2 import Summary

        writer = self._writers[record.trial_id]
        for tag, value in record.scalars().items():
            writer.add_scalar(tag, value, record.epoch)
        for tag, histo in record.histograms.items():
            summary = Summary(value=[Summary.Value(tag=tag, histo=histo)])
            writer.file_writer.add_summary(summary, record.epoch)
        spec = self._specs.pop(record.trial_id, None)
        if spec is not None:
            self._write_graph(writer, spec)
        writer.flush()

    def _write_graph(self, writer: SummaryWriter, spec: TrialSpec) -> None:
        """The trial's model graph, traced once per architecture (model and dataset spec)."""
        key = stable_json([spec.model.__dict__, spec.dataset.__dict__])
        if key not in self._graphs:
            assert self._graph_source is not None
            try:
                self._graphs[key] = model_graph(*self._graph_source(spec))
            except Exception as exc:  # a model the tracer cannot follow: no graph, no crash
                self._graphs[key] = None
                self.graph_errors[key] = str(exc)
        graph = self._graphs[key]
        if graph is not None:
            writer.file_writer.add_graph(graph)

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
