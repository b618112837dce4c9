"""build_optimizer spares the torch._dynamo import for optimizers whose step is ours.

Checked in a fresh interpreter: the test process itself has long imported torch._dynamo.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, torch
from optbench.optim import build_optimizer
from optbench.optim.parse import parse_optimizer
w = torch.nn.Parameter(torch.ones(3))
for name in ("adam", "rmsprop", "adagrad", "sgd"):
    opt = build_optimizer(parse_optimizer(name, "{profile}"), [w])
    opt.zero_grad()
    w.grad = torch.ones(3)
    opt.step()
    opt.load_state_dict(opt.state_dict())
print("torch._dynamo" in sys.modules)
"""


def _imports_dynamo(profile: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(profile=profile)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() == "True"


def test_keras_profile_optimizers_never_import_dynamo() -> None:
    assert not _imports_dynamo("keras")


def test_torch_profile_still_imports_it_in_its_step() -> None:
    # torch.optim's step decorator imports torch._dynamo unconditionally: nothing to spare,
    # and this shows the check above can fail.
    assert _imports_dynamo("torch")
