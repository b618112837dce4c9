"""Every registered loss: encoding by output width, Keras arithmetic, accuracy, chance loss."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from optbench.models import LOSSES
from optbench.models.head import keep_logits
from optbench.models.losses import EPSILON

LABELS = torch.tensor([0, 1, 1, 0, 1, 0])


def _outputs(expects: str, units: int) -> torch.Tensor:
    z = torch.linspace(-2, 2, 6 * units).reshape(6, units)
    if expects in ("binary_probabilities",):
        return torch.sigmoid(z)
    if expects == "probabilities":
        return torch.softmax(z, 1)
    return z


CASES = [  # index losses need one unit per class; the others take 1 unit or C
    pytest.param(info, units, id=f"{info.name}-{units}")
    for info in LOSSES
    for units in ((2,) if info.targets == "index" else (1, 2))
]


@pytest.mark.parametrize(("info", "units"), CASES)
def test_loss_contract(info, units):
    """Encode → loss → correct: finite scalar, integer count, targets shaped for the loss."""
    outputs = _outputs(info.expects, units).requires_grad_()
    targets = info.encode(LABELS, outputs)
    if info.targets == "index":
        assert torch.equal(targets, LABELS)
    else:
        assert targets.shape == outputs.shape and targets.dtype == outputs.dtype
    value = info.loss(outputs, targets)
    assert value.shape == () and torch.isfinite(value)
    value.backward()
    assert torch.isfinite(outputs.grad).all()
    count = info.correct(outputs.detach(), LABELS)
    assert count.dtype == torch.int64 and 0 <= int(count) <= len(LABELS)
    assert info.description and info.name in LOSSES


def test_encodings_follow_keras_class_modes():
    bce = LOSSES.get("bce")
    column = bce.encode(LABELS, torch.zeros(6, 1))
    assert column.tolist() == [[0.0], [1.0], [1.0], [0.0], [1.0], [0.0]]  # class_mode="binary"
    onehot = bce.encode(LABELS, torch.zeros(6, 2))
    assert onehot.tolist()[:2] == [[1.0, 0.0], [0.0, 1.0]]  # class_mode="categorical"
    assert LOSSES.get("hinge").encode(LABELS, torch.zeros(6, 1)).flatten().tolist() == [
        -1,
        1,
        1,
        -1,
        1,
        -1,
    ]


def test_probability_bce_uses_keras_clip_and_epsilon():
    """tf.keras: clip to [1e-7, 1-1e-7], then -(t·log(p+ε) + (1-t)·log(1-p+ε))."""
    p = torch.tensor([[0.3], [1.0], [0.0], [-0.5]])
    t = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
    clipped = np.clip(p.numpy().astype(np.float32), np.float32(1e-7), np.float32(1 - 1e-7))
    tn = t.numpy()
    eps = np.float32(1e-7)
    expected = -(tn * np.log(clipped + eps) + (1 - tn) * np.log(1 - clipped + eps)).mean()
    assert math.isclose(float(LOSSES.get("bce").loss(p, t)), float(expected), rel_tol=1e-6)


def test_saturated_heads_give_the_seeds_frozen_losses():
    """Outputs clipped at the top cost 15.3332 for a 0-target, at the bottom 15.4249 for a
    1-target (float32): a saturated 2-unit head on one-hot targets sits at 7.6666 (all +1) or
    7.7125 (all ≤ 0); the seed's 7.6685 lies between."""
    bce = LOSSES.get("bce")
    onehot = bce.encode(LABELS, torch.zeros(6, 2))
    assert float(bce.loss(torch.ones(6, 2), onehot)) == pytest.approx(7.66662, abs=1e-4)
    assert float(bce.loss(-torch.ones(6, 2), onehot)) == pytest.approx(7.71247, abs=1e-4)
    # 1-unit softmax: constant 1.0 on balanced 0/1 labels
    column = bce.encode(LABELS, torch.zeros(6, 1))
    assert float(bce.loss(torch.ones(6, 1), column)) == pytest.approx(7.66662, abs=1e-4)


def test_clipped_outputs_have_zero_gradient():
    bce = LOSSES.get("bce")
    p = torch.tensor([[-0.4, 0.2]], requires_grad=True)  # a tanh head: one unit below 0
    bce.loss(p, torch.tensor([[1.0, 0.0]])).backward()
    assert p.grad[0, 0] == 0 and p.grad[0, 1] != 0


def test_keras_bce_reads_the_logits_a_softmax_head_cached():
    """tf.keras >= 2.5 computes binary_crossentropy from the cached logits: the seed's 1-unit
    softmax head had a falling loss (0.40) while its output stayed 1.0 (accuracy 0.5000)."""
    z = torch.tensor([[0.3], [-1.2], [2.0], [0.1]], requires_grad=True)
    out = keep_logits(torch.softmax(z, 1), z)
    targets = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
    keras = LOSSES.get("keras_bce")
    value = keras.loss(out, targets)
    reference = F.binary_cross_entropy_with_logits(z.detach(), targets)
    assert float(value.detach()) == pytest.approx(float(reference))
    value.backward()
    assert z.grad.abs().sum() > 0  # the loss trains the logit …
    assert int(keras.correct(out.detach(), torch.tensor([1, 0, 1, 0]))) == 2  # … acc stays 0.5
    plain = torch.tensor([[0.3], [0.7]])  # no cached logits (e.g. tanh): same as `bce`
    t = torch.tensor([[1.0], [0.0]])
    assert float(keras.loss(plain, t)) == float(LOSSES.get("bce").loss(plain, t))


def test_categorical_losses_match_cross_entropy_on_softmax_outputs():
    z = torch.randn(6, 3)
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    reference = F.cross_entropy(z, labels)
    probs = torch.softmax(z, 1)
    sparse = LOSSES.get("sparse_categorical_crossentropy")
    onehot = LOSSES.get("categorical_crossentropy")
    assert float(sparse.loss(probs, labels)) == pytest.approx(float(reference), rel=1e-5)
    targets = onehot.encode(labels, probs)
    assert float(onehot.loss(probs, targets)) == pytest.approx(float(reference), rel=1e-5)
    # Keras normalises un-normalised rows first
    assert float(onehot.loss(2 * probs, targets)) == pytest.approx(float(reference), rel=1e-5)


def test_hinge_is_keras_hinge():
    scores = torch.tensor([[0.5], [-2.0], [1.5]])
    targets = LOSSES.get("hinge").encode(torch.tensor([1, 1, 0]), scores)
    assert float(LOSSES.get("hinge").loss(scores, targets)) == pytest.approx((0.5 + 3.0 + 2.5) / 3)


@pytest.mark.parametrize(
    ("name", "outputs", "labels", "count"),
    [
        ("bce", [[0.7], [0.2], [0.5]], [1, 0, 1], 2),  # threshold 0.5, strict
        ("bce_logits", [[0.1], [-0.1], [0.0]], [1, 0, 1], 2),  # threshold 0
        ("bce", [[0.9, 0.8], [0.1, 0.3]], [0, 1], 2),  # several units: argmax
        ("cross_entropy", [[1.0, 2.0], [3.0, 0.0]], [1, 1], 1),
        ("hinge", [[0.2], [-0.3]], [1, 1], 1),
    ],
)
def test_accuracy_counts(name, outputs, labels, count):
    info = LOSSES.get(name)
    assert int(info.correct(torch.tensor(outputs), torch.tensor(labels))) == count


@pytest.mark.parametrize("name", ["cross_entropy", "sparse_categorical_crossentropy", "bce"])
def test_expected_initial_is_the_loss_of_an_undecided_head(name):
    info = LOSSES.get(name)
    classes = 4 if info.targets == "index" else 2
    units = classes if info.targets == "index" else 1
    zero = torch.zeros(8, units)
    outputs = {"logits": zero, "probabilities": torch.full((8, units), 1 / units)}.get(
        info.expects, torch.full((8, units), 0.5)
    )
    labels = torch.arange(8) % classes
    value = float(info.loss(outputs, info.encode(labels, outputs)))
    assert value == pytest.approx(info.expected_initial(classes), rel=1e-4)


def test_epsilon_is_keras():
    assert EPSILON == 1e-7
