"""A LogSoftmax head into CrossEntropyLoss: harmless but redundant, an info note (issue 19)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from optbench.diagnose.setup_check import check_setup

X = torch.rand(16, 6, generator=torch.Generator().manual_seed(0))
Y3 = torch.arange(16) % 3


class LogSoftmaxHead(nn.Module):
    """A user's classifier that ends in log_softmax (as for NLLLoss)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.body(x), dim=1)


def test_log_softmax_into_cross_entropy_is_an_info_note() -> None:
    torch.manual_seed(0)
    for loss in (nn.CrossEntropyLoss(), F.cross_entropy, "cross_entropy"):
        (note,) = check_setup(LogSoftmaxHead(), loss, X, Y3)
        assert (note.code, note.severity) == ("head.redundant_log_softmax", "info")
        assert "log_softmax" in note.message and "NLLLoss" in note.fix


def test_module_log_softmax_is_seen_too() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 3), nn.LogSoftmax(dim=1))
    codes = [f.code for f in check_setup(model, nn.CrossEntropyLoss(), X, Y3)]
    assert codes == ["head.redundant_log_softmax"]


def test_log_softmax_into_nll_says_nothing() -> None:
    torch.manual_seed(0)
    assert check_setup(LogSoftmaxHead(), nn.NLLLoss(), X, Y3) == []
