"""Bad inputs → ConfigError whose text says what is wrong and how to fix it."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch

from optbench.core.errors import ConfigError
from optbench.core.specs import OptimizerSpec
from optbench.optim import (
    build_optimizer,
    expand_optimizer_grid,
    parse_optimizer,
    resolve_optimizer,
)

USER_MODULE = "optbench_test_user_optimizers"


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A module on sys.path with a user optimizer, a non-optimizer, and one with a required arg."""
    (tmp_path / f"{USER_MODULE}.py").write_text(
        textwrap.dedent(
            """
            import torch

            class Lion(torch.optim.Optimizer):
                def __init__(self, params, lr=1e-4, betas=(0.9, 0.99, 0.5), weight_decay=0.0):
                    if lr <= 0:
                        raise ValueError(f"Invalid learning rate: {lr}")
                    super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

                @torch.no_grad()
                def step(self, closure=None):
                    for group in self.param_groups:
                        for p in group["params"]:
                            if p.grad is not None:
                                p.sub_(group["lr"] * p.grad.sign())

            class NeedsK(torch.optim.SGD):
                def __init__(self, params, k, lr=0.1):
                    super().__init__(params, lr=lr)

            class Anything(torch.optim.SGD):
                def __init__(self, params, lr=0.1, **extra):
                    super().__init__(params, lr=lr)

            class NotAnOptimizer:
                def __init__(self, params, lr=0.1):
                    pass
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, USER_MODULE, raising=False)
    yield USER_MODULE
    sys.modules.pop(USER_MODULE, None)


BAD = [
    ("adamm", "Unknown optimizer 'adamm'. Did you mean 'adam'"),
    ("rmsprp", "Did you mean 'rmsprop'?"),
    (
        "adam:lrr=0.1",
        "Unknown hyperparameter 'lrr' for optimizer 'adam'. Did you mean 'lr'? Known: lr",
    ),
    ("sgd:betas=0.9,0.99", "Unknown hyperparameter 'betas' for optimizer 'sgd'."),
    ("adam:lr=-0.1", "`lr` must be > 0. Received: lr=-0.1"),
    ("adam:lr=0", "`lr` must be > 0. Received: lr=0"),
    ("adam:lr=nan", "`lr` must be a finite number. Received: lr=nan"),
    ("adam:lr=fast", "`lr` must be a finite number. Received: lr='fast'"),
    ("adam:betas=0.9", "`betas` must be two numbers in [0, 1), e.g. betas=0.9,0.999"),
    ("adam:betas=0.9,0.99,0.5", "`betas` must be two numbers"),
    ("adam:betas=0.9,1.5", "`betas[1]` must be in [0, 1). Received: betas=(0.9, 1.5)"),
    ("adam:eps=-1", "`eps` must be >= 0. Received: eps=-1"),
    ("adam:amsgrad=1", "`amsgrad` must be true or false. Received: amsgrad=1"),
    ("sgd:momentum=1.5", "`momentum` must be in [0, 1). Received: momentum=1.5"),
    ("rmsprop:alpha=1", "`alpha` must be in [0, 1)"),
    ("lars:trust_coefficient=0", "`trust_coefficient` must be > 0"),
    ("sgd:nesterov=true", "`nesterov=True` needs momentum > 0. Received: momentum=0.0"),
    ("nesterov:dampening=0.5", "`nesterov=True` needs dampening = 0. Received: dampening=0.5"),
    ("adam:lr=", "Malformed optimizer text 'adam:lr=': hyperparameter 'lr' has no value"),
    ("adam:", "Malformed optimizer text 'adam:': nothing after a ':'"),
    (":lr=1", "no optimizer name"),
    ("adam:0.9,lr=1", "a value without a name ('0.9')"),
    ("adam:lr=1,lr=2", "hyperparameter 'lr' is given twice"),
    ("adam:=1", "a value without a name ('=1')"),
    ("a:b:c:d", "too many ':'"),
    ("mod:lr=1:Cls", "hyperparameters must come after the class name"),
    ("torch.optim.SGD", "For your own optimizer class write 'module.path:ClassName'"),
    ("no_such_pkg.optim:Lion", "Cannot import module 'no_such_pkg.optim' for the optimizer"),
    (
        "torch.optim:Adamm",
        "torch.optim has no 'Adamm' for the optimizer 'torch.optim:Adamm'. Did you mean 'Adam'",
    ),
    ("torch.nn:Linear", "'torch.nn:Linear' is not a torch.optim.Optimizer subclass"),
    ("torch.optim:SGD:lrr=0.1", "Unknown hyperparameter 'lrr' for optimizer 'torch.optim:SGD'."),
    ("1mod:Cls", "Bad optimizer import path '1mod:Cls'"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_config_error(text, message):
    with pytest.raises(ConfigError) as info:
        build_optimizer(parse_optimizer(text), [torch.nn.Parameter(torch.zeros(2))])
    assert message in str(info.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as info:
        resolve_optimizer(OptimizerSpec("adam", {"lrr": 1.0, "eps": -1.0, "betas": (2.0, 0.5)}))
    assert len(info.value.problems) == 3
    assert "3 problems" in str(info.value)


def test_unknown_profile():
    with pytest.raises(ConfigError, match="Unknown profile 'tf'"):
        parse_optimizer("adam", profile="tf")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Unknown profile 'tf'"):
        resolve_optimizer(OptimizerSpec("adam", {}, "tf"))  # type: ignore[arg-type]


def test_unexpanded_grid_is_explained():
    with pytest.raises(ConfigError, match=r"several candidate values.*expand the grid first"):
        resolve_optimizer(OptimizerSpec("adam", {"lr": [1e-3, 1e-2]}))


def test_empty_grid_axis():
    with pytest.raises(ConfigError, match="empty list of candidates"):
        expand_optimizer_grid(OptimizerSpec("adam", {"lr": []}))


def test_user_optimizer_by_import_path(user_module):
    w = torch.nn.Parameter(torch.ones(3))
    opt = build_optimizer(parse_optimizer(f"{user_module}:Lion:lr=0.5"), [w])
    assert type(opt).__name__ == "Lion"
    resolved = resolve_optimizer(parse_optimizer(f"{user_module}:Lion:lr=0.5"))
    assert resolved.hparams == {"lr": 0.5, "betas": (0.9, 0.99, 0.5), "weight_decay": 0.0}
    w.grad = torch.tensor([1.0, -1.0, 0.0])
    opt.step()
    torch.testing.assert_close(w.detach(), torch.tensor([0.5, 1.5, 1.0]))


def test_user_optimizer_errors(user_module):
    cases = [
        (f"{user_module}:Lion:lrr=1", "Unknown hyperparameter 'lrr' for optimizer"),
        (f"{user_module}:Lion:lrr=1", "Did you mean 'lr'?"),
        (f"{user_module}:NotAnOptimizer", "is not a torch.optim.Optimizer subclass"),
        (f"{user_module}:Lino", "has no 'Lino' for the optimizer"),
        (f"{user_module}:NeedsK", "Hyperparameter 'k' of optimizer"),
        (f"{user_module}:Lion:lr=-1", "refused its settings: Invalid learning rate: -1"),
    ]
    for text, message in cases:
        with pytest.raises(ConfigError) as info:
            build_optimizer(parse_optimizer(text), [torch.nn.Parameter(torch.zeros(2))])
        assert message in str(info.value), text


def test_user_optimizer_with_kwargs_accepts_any_name(user_module):
    resolved = resolve_optimizer(parse_optimizer(f"{user_module}:Anything:whatever=3"))
    assert resolved.hparams == {"lr": 0.1, "whatever": 3}
