"""The static checker on user-written modules (none built by optbench): every finding, and
silence on the canonical heads."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from optbench.core.errors import ConfigError
from optbench.diagnose.codes import CODES
from optbench.diagnose.setup_check import SETUP_CODES, check_setup

# Fixed inputs and, below, a fixed seed for every test: an unseeded 2-unit ReLU head is dead
# on the whole batch now and then, which is a true `head.constant_output` finding on top of the
# one a test asks about.
X = torch.rand(16, 6, generator=torch.Generator().manual_seed(0))
Y = torch.arange(16) % 2  # balanced binary labels, int64
Y3 = torch.arange(16) % 3


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)


class Net(nn.Module):
    """A user's network: the activation is a *function call* in forward(), not a module."""

    def __init__(self, units: int, activation=None) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 12), nn.ReLU())
        self.out = nn.Linear(12, units)
        self.activation = activation

    def forward(self, x):
        z = self.out(self.body(x))
        return z if self.activation is None else self.activation(z)


def softmax(z):
    return torch.softmax(z, dim=1)


def codes(model, loss, labels=Y, **kw):
    return [f.code for f in check_setup(model, loss, X, labels, **kw)]


# -- the broken heads of the seed and the double activations -------------------------------


@pytest.mark.parametrize("loss", ["bce", "keras_bce", nn.BCELoss(), F.binary_cross_entropy])
def test_single_unit_softmax(loss):
    labels = Y if isinstance(loss, str) else Y.float().unsqueeze(1)
    found = check_setup(Net(1, softmax), loss, X, labels)
    assert [f.code for f in found] == ["head.single_unit_softmax"]
    assert found[0].severity == "error"
    assert "exactly 1.0" in found[0].message and "0.5000" in found[0].message
    assert "sigmoid" in found[0].fix


def test_single_unit_softmax_as_a_keras_style_module_stack():
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 1), nn.Softmax(dim=-1))
    assert codes(model, "bce") == ["head.single_unit_softmax"]


@pytest.mark.parametrize(
    ("activation", "loss", "labels"),
    [
        (torch.tanh, "bce", Y),  # the seed's 2-unit tanh head
        (torch.tanh, nn.BCELoss(), F.one_hot(Y, 2).float()),
        (torch.relu, nn.BCELoss(), F.one_hot(Y, 2).float()),
        (None, nn.BCELoss(), F.one_hot(Y, 2).float()),
        (None, "categorical_crossentropy", Y),
        (torch.tanh, "sparse_categorical_crossentropy", Y),
    ],
)
def test_output_range_incompatible_with_a_probability_loss(activation, loss, labels):
    found = check_setup(Net(2, activation), loss, X, labels)
    assert [f.code for f in found] == ["head.range_mismatch"]
    assert "[0, 1]" in found[0].message and "zero gradient" in found[0].message


def test_relu_head_is_flagged_even_when_this_batch_stays_in_range():
    model = Net(2, torch.relu)
    with torch.no_grad():
        model.out.weight.mul_(1e-3)  # outputs tiny, inside [0, 1] on this batch
    assert "head.range_mismatch" in codes(model, "bce")


@pytest.mark.parametrize(
    ("activation", "loss", "labels"),
    [
        (softmax, nn.CrossEntropyLoss(), Y),
        (softmax, F.cross_entropy, Y),
        (softmax, "cross_entropy", Y),
        (torch.sigmoid, nn.BCEWithLogitsLoss(), F.one_hot(Y, 2).float()),
        (torch.sigmoid, "bce_logits", Y),
        (torch.sigmoid, nn.CrossEntropyLoss(), Y),
    ],
)
def test_double_activation(activation, loss, labels):
    found = check_setup(Net(2, activation), loss, X, labels)
    assert [f.code for f in found] == ["head.double_activation"]
    assert "again" in found[0].message and "linear head" in found[0].fix


def test_single_sigmoid_into_bce_with_logits_is_a_double_activation():
    assert codes(Net(1, torch.sigmoid), nn.BCEWithLogitsLoss(), Y.float().unsqueeze(1)) == [
        "head.double_activation"
    ]


# -- units and labels ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "loss", "labels", "kw"),
    [
        (1, nn.CrossEntropyLoss(), Y, {}),  # softmax over 1 logit: loss is always 0
        (1, "cross_entropy", Y, {}),
        (2, nn.CrossEntropyLoss(), Y3, {}),  # 3 classes, 2 units
        (2, "bce", Y3, {}),  # a binary loss: 1 unit or 3
        (1, "bce_logits", Y3, {}),  # 1 unit separates two classes only
        (2, "cross_entropy", Y, {"num_classes": 5}),
    ],
)
def test_output_units_do_not_match_the_classes(units, loss, labels, kw):
    found = check_setup(Net(units), loss, X, labels, **kw)
    assert "head.units_mismatch" in [f.code for f in found]
    assert next(f for f in found if f.code == "head.units_mismatch").severity == "error"


def test_more_units_than_classes_is_a_warning_when_the_classes_are_known():
    found = check_setup(Net(4), nn.CrossEntropyLoss(), X, Y, num_classes=2)
    assert [(f.code, f.severity) for f in found] == [("head.units_mismatch", "warning")]
    assert codes(Net(4), nn.CrossEntropyLoss()) == []  # a batch may not show every class


@pytest.mark.parametrize(
    ("loss", "labels", "kw"),
    [
        (nn.CrossEntropyLoss(), Y - 1, {}),  # -1: e.g. "unlabelled" markers left in
        ("cross_entropy", Y * 2, {"num_classes": 2}),  # labels 0 and 2 for two classes
        (nn.BCEWithLogitsLoss(), F.one_hot(Y, 2).float() * 2, {}),  # targets must be in [0, 1]
    ],
)
def test_labels_out_of_range(loss, labels, kw):
    assert "labels.out_of_range" in codes(Net(2), loss, labels, **kw)


@pytest.mark.parametrize(
    ("units", "activation", "loss", "labels", "fix"),
    [
        (1, torch.sigmoid, nn.BCELoss(), Y, "unsqueeze(1)"),  # int64 [B] for a [B, 1] output
        (1, torch.sigmoid, nn.BCELoss(), Y.float(), "unsqueeze(1)"),  # shape [B] vs [B, 1]
        (2, None, nn.BCEWithLogitsLoss(), Y.float(), "one_hot"),  # indices for 2 units
        (1, None, nn.MSELoss(), Y.float(), "unsqueeze(1)"),  # silently broadcasts to [B, B]
        (2, None, nn.CrossEntropyLoss(), F.one_hot(Y, 2), "argmax"),  # one-hot as int64
        (2, None, "cross_entropy", F.one_hot(Y, 2).float(), "argmax"),  # optbench wants indices
    ],
)
def test_labels_wrongly_encoded_for_the_loss(units, activation, loss, labels, fix):
    found = check_setup(Net(units, activation), loss, X, labels)
    encoding = [f for f in found if f.code == "labels.encoding"]
    assert encoding and encoding[0].severity == "error" and fix in encoding[0].fix


def test_mse_broadcasting_is_explained():
    found = check_setup(Net(1), nn.MSELoss(), X, Y.float())
    assert "[B, B]" in next(f for f in found if f.code == "labels.encoding").message


@pytest.mark.parametrize(
    ("units", "activation", "loss", "labels", "words"),
    [
        (1, torch.sigmoid, nn.MSELoss(), Y.float().unsqueeze(1), "vanishes"),
        (2, softmax, "mse", Y, "vanishes"),
        (1, None, "hinge", Y, "margin"),
        (2, None, nn.MultiMarginLoss(), Y, "margin"),
    ],
)
def test_regression_or_margin_loss_on_class_labels_warns_with_the_trade_off(
    units, activation, loss, labels, words
):
    found = check_setup(Net(units, activation), loss, X, labels)
    assert [(f.code, f.severity) for f in found] == [("loss.regression_on_classes", "warning")]
    assert words in found[0].message and "cross-entropy" in found[0].message


def test_two_sigmoid_units_with_bce_work_and_the_checker_says_what_they_mean():
    for loss, labels in (("bce", Y), (nn.BCELoss(), F.one_hot(Y, 2).float())):
        found = check_setup(Net(2, torch.sigmoid), loss, X, labels)
        assert [(f.code, f.severity) for f in found] == [("head.two_unit_sigmoid_bce", "info")]
        assert "independent" in found[0].message


def test_constant_output_of_a_saturated_head():
    model = Net(2, torch.tanh)
    with torch.no_grad():
        model.out.bias.fill_(50.0)
        model.out.weight.zero_()
    assert codes(model, "mse")[0] == "head.constant_output"


# -- silence on the canonical heads ----------------------------------------------------------


class LogSoftmaxNet(Net):
    def forward(self, x):
        return F.log_softmax(super().forward(x), dim=1)


@pytest.mark.parametrize(
    ("model", "loss", "labels"),
    [
        (Net(1, torch.sigmoid), "bce", Y),
        (Net(1, torch.sigmoid), nn.BCELoss(), Y.float().unsqueeze(1)),
        (Net(1), "bce_logits", Y),
        (Net(1), nn.BCEWithLogitsLoss(), Y.float().unsqueeze(1)),
        (Net(3, softmax), "categorical_crossentropy", Y3),
        (Net(3, softmax), "sparse_categorical_crossentropy", Y3),
        (Net(3), "cross_entropy", Y3),
        (Net(3), nn.CrossEntropyLoss(), Y3),
        (Net(3), F.cross_entropy, Y3),
        (Net(3), nn.CrossEntropyLoss(), F.one_hot(Y3, 3).float()),  # probability targets
        (LogSoftmaxNet(3), nn.NLLLoss(), Y3),
        (nn.Sequential(nn.Linear(6, 2), nn.Softmax(dim=1)), "keras_bce", Y),
    ],
)
def test_canonical_heads_have_no_findings(model, loss, labels):
    assert codes(model, loss, labels) == []


def test_nll_on_probabilities_is_a_range_mismatch():
    assert codes(Net(3, softmax), nn.NLLLoss(), Y3) == ["head.range_mismatch"]


# -- the dry run itself ----------------------------------------------------------------------


class Tricky(nn.Module):
    """Dropout and BatchNorm (state a probe must not touch), a (logits, features) output."""

    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(6)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(6, 2)

    def forward(self, x):
        features = self.drop(self.bn(x))
        return self.out(features), features


def test_dry_run_changes_nothing_and_restores_modes():
    model = Tricky().train()
    model.drop.eval()  # a mixed state, restored module by module
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(0)
    expected_next = torch.rand(3)
    torch.manual_seed(0)
    assert codes(model, nn.CrossEntropyLoss()) == []
    assert torch.equal(torch.rand(3), expected_next)  # global RNG untouched
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert model.training and model.bn.training and not model.drop.training
    assert all(p.grad is None for p in model.parameters())


def test_unknown_loss_gets_an_info_and_a_failing_one_an_error():
    def my_loss(outputs, targets):
        return (outputs.sum(1) - targets).abs().mean()

    assert codes(Net(2), my_loss, Y.float()) == ["loss.unknown"]

    def broken(outputs, targets):
        raise RuntimeError("shapes do not line up")

    found = check_setup(Net(2), broken, X, Y)
    assert {f.code for f in found} == {"loss.unknown", "labels.encoding"}
    assert "shapes do not line up" in next(f for f in found if f.severity == "error").message


def test_every_finding_has_a_registered_code_message_and_fix():
    assert all(info.code in CODES for info in SETUP_CODES)
    found = check_setup(Net(2, torch.tanh), nn.BCELoss(), X, Y)
    for f in found:
        assert f.message and f.fix and f.severity == CODES.get(f.code).severity


def test_bad_loss_argument():
    with pytest.raises(ConfigError, match="Did you mean 'bce'"):
        check_setup(Net(1), "bcee", X, Y)
    with pytest.raises(ConfigError, match="loss name"):
        check_setup(Net(1), 3, X, Y)
