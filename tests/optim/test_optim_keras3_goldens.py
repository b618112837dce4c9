"""The keras profile against real Keras 3, in float64: every Keras port, default and other
hyperparameters, six steps, agrees to 1e-12 relative with the variables Keras itself produced
(tests/optim/keras3/goldens.json, made by tests/optim/keras3/make_goldens.py).

Keras rounds its Python-float constants (β, ρ, momentum) to float32 when it casts them to the
variable's dtype; the ports do the same, which float32 training never notices and float64
parity does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from optbench.optim import OPTIMIZERS, build_optimizer, parse_optimizer

GOLDENS = json.loads((Path(__file__).parent / "keras3" / "goldens.json").read_text())
CASES = {case["spec"]: case for case in GOLDENS["cases"]}


def test_goldens_cover_every_keras_port():
    ported = {i.name for i in OPTIMIZERS if i.keras_class is not i.torch_class}
    assert {spec.split(":")[0] for spec in CASES} == ported
    assert GOLDENS["made_by"]["floatx"] == "float64" and GOLDENS["made_by"]["keras"] >= "3"


@pytest.mark.parametrize("spec", sorted(CASES))
def test_keras_profile_matches_keras3_in_float64(spec):
    case = CASES[spec]
    params = [torch.nn.Parameter(torch.tensor(w, dtype=torch.float64)) for w in case["start"]]
    optimizer = build_optimizer(parse_optimizer(spec, profile="keras"), params)
    for step, (grads, expected) in enumerate(zip(case["grads"], case["after"], strict=True)):
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        for p, want in zip(params, expected, strict=True):
            torch.testing.assert_close(
                p.detach(),
                torch.tensor(want, dtype=torch.float64),
                rtol=1e-12,
                atol=0,
                msg=lambda m, s=step: f"{spec}, step {s + 1}: {m}",
            )
