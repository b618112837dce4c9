"""The model graph in TensorBoard: every trial's run has its model's graph, the same one
`SummaryWriter.add_graph` would write, traced once per architecture."""

from __future__ import annotations

from pathlib import Path

import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard._pytorch_graph import graph as torch_graph

import optbench
from optbench.core.specs import ModelSpec
from optbench.models import build_model
from optbench.store.tensorboard import model_graph


def test_the_graph_is_what_add_graph_writes() -> None:
    for spec, shape in (
        (ModelSpec("mlp", (32,), "relu", "keras"), (1, 8, 8)),
        (
            ModelSpec("convnet", (16,), "relu", "keras", head_units=1, head_activation="sigmoid"),
            (3, 16, 16),
        ),
    ):
        model = build_model(spec, shape, 2, seed=0)
        example = torch.zeros(1, *shape)
        ours, _ = model_graph(model, example)
        theirs, _ = torch_graph(model, example)
        assert ours == theirs
        assert model.training  # the trace ran in eval mode and put the mode back


def _graph_ops(run: Path) -> list[str]:
    events = EventAccumulator(str(run))
    events.Reload()
    assert events.Tags()["graph"], f"no graph in {run}"
    return [node.op for node in events.Graph().node]


def test_every_trial_run_has_its_model_graph(tmp_path: Path) -> None:
    study = {
        "name": "graphs",
        "dataset": "digits",
        "optimizers": ["adam", "sgd"],
        "model": {"name": "mlp", "hidden": [16, 8]},
        "epochs": 2,
        "seeds": [0, 1],
        "workers": 1,
    }
    outcome = optbench.run_study(study, tmp_path / "s", cache_dir=tmp_path)
    runs = sorted((outcome.folder / "tb").iterdir())
    assert len(runs) == 4
    for run in runs:
        ops = _graph_ops(run)
        assert ops.count("aten::linear") == 3  # 64 → 16 → 8 → 10: the study's model
        assert "aten::relu" in ops
