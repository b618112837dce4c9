"""The catalogue of finding codes: what each symptom means and what to do about it.

Codes are stable strings `area.symptom` (stored, written to TensorBoard, shown in reports), so
a report can explain any finding it lists, and `--stop-on` can name them. A monitor's Finding
carries a message with this trial's numbers; the catalogue carries the general explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from optbench.core.registry import Registry
from optbench.core.specs import Severity

LrAdvice = Literal["lower", "raise"]


@dataclass(frozen=True)
class CodeInfo:
    """One finding code: its default severity, a title, why it matters, and the usual fix.

    `lr`: which way the fix moves the learning rate ("lower", "raise", or None when it does
    not say), so that findings whose advice would contradict each other are grouped under the
    one that explains the other (diagnose.cause).
    """

    code: str
    severity: Severity
    title: str
    explanation: str
    fix: str
    lr: LrAdvice | None = None

    @property
    def short(self) -> str:
        """The part after the area: `nan_loss` for `train.nan_loss` (accepted by --stop-on)."""
        return self.code.partition(".")[2]


CODES: Registry[CodeInfo] = Registry("finding code")


def _code(
    code: str,
    severity: Severity,
    title: str,
    explanation: str,
    fix: str,
    lr: LrAdvice | None = None,
) -> None:
    CODES.register(code, CodeInfo(code, severity, title, explanation, fix, lr))


_code(
    "executor.worker_lost",
    "info",
    "A worker died and its trial was retried",
    "The process or machine running the trial was lost (killed, out of memory, node down). "
    "The trial continued from its latest checkpoint on another worker; resumed trials give "
    "the same numbers as uninterrupted ones.",
    "Nothing, unless it keeps happening: then check the node's memory and logs.",
)
_code(
    "train.nan_loss",
    "error",
    "Loss became NaN or infinite",
    "Once the loss (or the model's outputs) is not finite, every later update is meaningless; "
    "the usual causes are a learning rate far too high, unscaled inputs, or a NaN in the data.",
    "Lower the learning rate, scale the inputs to [0, 1], check the data for NaN, or clip "
    "gradients.",
    "lower",
)
_code(
    "train.nonfinite_grad",
    "error",
    "Gradients became NaN or infinite",
    "A gradient is NaN/Inf while the loss is still finite: a numerically unstable operation "
    "(log or sqrt at 0, division by a tiny number) or an overflow in the backward pass. The "
    "next optimizer step writes NaN into the weights.",
    "Find the unstable operation (torch.autograd.set_detect_anomaly), add an epsilon, or clip "
    "gradients.",
)
_code(
    "init.loss_too_high",
    "warning",
    "Initial loss far above its expected value",
    "An untrained classifier should predict every class about equally, giving a loss near its "
    "chance value (ln C for cross-entropy over C classes). A much higher first loss means "
    "huge initial logits: unscaled inputs or an initialisation that is far too large.",
    "Scale the inputs to [0, 1] and use a standard initialisation (PyTorch's or Glorot).",
)
_code(
    "init.loss_too_low",
    "error",
    "Initial loss far below its expected value",
    "An untrained model cannot beat chance, so a first loss far below ln C means the model "
    "was already trained: weights were carried over from an earlier run (the homework trained "
    "one model object through every optimizer), or labels leak into the inputs.",
    "Start every trial from fresh weights (drop reuse_model), and check inputs for label leaks.",
)
_code(
    "train.loss_frozen",
    "error",
    "Training loss is frozen",
    "The training loss did not change between epochs while it is still high: the weights are "
    "not moving (learning rate effectively zero, frozen parameters, or no gradient reaches "
    "them).",
    "Raise the learning rate, check that parameters require gradients and are given to the "
    "optimizer.",
    "raise",
)
_code(
    "train.not_decreasing",
    "warning",
    "Training loss is not decreasing",
    "Over several epochs the training loss has not improved while it is still far from a "
    "trained model's: the run is stuck (learning rate too small or too large, dead units, "
    "labels that cannot be learned).",
    "Try a learning rate 10x higher and 10x lower; check labels and inputs; see the other "
    "findings of this trial for the cause.",
)
_code(
    "train.acc_at_chance",
    "error",
    "Accuracy stuck at chance",
    "Training and validation accuracy stay at the level of guessing after several epochs: the "
    "model learns nothing about the inputs (shuffled or wrong labels, constant inputs, a dead "
    "network).",
    "Check that labels match inputs (plot a few), that inputs vary, and the other findings of "
    "this trial.",
)
_code(
    "train.at_chance",
    "error",
    "No better than a model that ignores its inputs",
    "For several epochs, on training and validation data alike, the model scores no better "
    "than the best prediction that ignores the inputs: R² near or below 0 in regression (no "
    "better than predicting the training mean), a per-token loss at the unigram entropy in "
    "language modelling (no better than predicting each token by its frequency). It has "
    "learned nothing about the inputs: shuffled or misaligned targets, constant inputs, a "
    "dead network, or a model whose output does not depend on its input.",
    "Check that targets line up with their inputs (plot or print a few pairs), that inputs "
    "vary, and the other findings of this trial.",
)
_code(
    "grad.exploding",
    "error",
    "Exploding gradients",
    "A layer's gradient is many times larger than its weights and the loss is not improving: "
    "each step overshoots. Typical of too-large initial weights, unscaled inputs, or a "
    "learning rate that made the weights grow.",
    "Use a standard initialisation, scale inputs, lower the learning rate, or clip gradients "
    "(torch.nn.utils.clip_grad_norm_).",
    "lower",
)
_code(
    "grad.vanishing",
    "warning",
    "Vanishing gradients",
    "The gradient shrinks layer by layer on its way back from the output, so the first layers "
    "receive orders of magnitude less of it than the last one (or no layer receives any), and "
    "the loss is not improving: the early layers do not learn. Typical of deep sigmoid/tanh "
    "stacks (each sigmoid passes back at most a quarter of its gradient), saturated units and "
    "dead ReLUs.",
    "Use ReLU-family activations with He/Glorot initialisation, fewer layers, normalisation "
    "layers or residual connections.",
)
_code(
    "grad.missing",
    "warning",
    "Parameters that never receive a gradient",
    "Some parameters require a gradient but none reaches them, while the rest of the model "
    "trains: they are cut off from the loss by a `.detach()`, a `torch.no_grad()` block, or a "
    "layer that forward() never uses. They keep their initial values; the model is weaker "
    "than it looks and its parameter count overstates it.",
    "Remove the detach/no_grad on the path to the loss; if the layer is meant to stay fixed, "
    "set requires_grad=False (or drop the layer).",
)
_code(
    "act.dying_relu",
    "warning",
    "Dying ReLU units",
    "A large share of a ReLU layer's units output zero for every example of a probe batch "
    "while the loss is stuck: dead units pass no gradient and never recover.",
    "Lower the learning rate, use He initialisation and zero (or small positive) biases, or a "
    "LeakyReLU/GELU.",
    "lower",
)
_code(
    "act.saturated",
    "warning",
    "Saturated sigmoid/tanh units",
    "Most outputs of a sigmoid/tanh layer sit at the flat ends of the curve (derivative near "
    "zero) while the loss is stuck: gradients through the layer vanish.",
    "Scale the inputs, use a smaller (Glorot) initialisation, or ReLU-family activations.",
)
_code(
    "opt.update_ratio_high",
    "warning",
    "Updates too large for the weights",
    "Each optimizer step changes a layer's weights by a large fraction of their size "
    "(a healthy ratio is around 1e-3), persistently, while the loss is not improving: the "
    "learning rate is too high for this model.",
    "Lower the learning rate (try 10x lower) or add warm-up.",
    "lower",
)
_code(
    "opt.update_ratio_low",
    "warning",
    "Updates too small for the weights",
    "Each optimizer step changes the weights by a vanishing fraction of their size (a healthy "
    "ratio is around 1e-3), persistently, while the loss is not improving: the learning rate "
    "is too low to train in any reasonable time.",
    "Raise the learning rate (try 10x or 100x higher), or use an adaptive optimizer.",
    "raise",
)
_code(
    "train.diverged",
    "error",
    "Training loss diverged",
    "The training loss grew far above where it started: the steps overshoot and amplify. "
    "Almost always a learning rate that is too high for this model and data.",
    "Lower the learning rate (try 10x lower), scale the inputs, or clip gradients.",
    "lower",
)
_code(
    "train.oscillating",
    "warning",
    "Training loss oscillating",
    "The training loss goes up and down from epoch to epoch instead of falling: the learning "
    "rate is high enough to bounce across the minimum.",
    "Lower the learning rate, add a learning-rate schedule, or use a larger batch.",
    "lower",
)
_code(
    "val.overfitting",
    "warning",
    "Overfitting",
    "The model fits the training set far better than it generalises: the validation loss rose "
    "for several epochs in a row while the training loss kept falling, or the training metric "
    "(accuracy) pulled ahead of the validation metric by a wide gap while the training loss "
    "kept falling and the validation loss stopped improving. The model is memorising the "
    "training set. The best epoch is the one with the lowest validation loss.",
    "Stop at the best epoch (--stop-on overfitting), use more data, regularise (weight decay, "
    "dropout, augmentation), or a smaller model.",
)
_code(
    "data.unscaled_inputs",
    "warning",
    "Inputs are not scaled",
    "Inputs range far beyond [0, 1] (e.g. 0-255 pixels): initial logits and gradients are "
    "huge, the first layers' effective learning rate is wrong, and results are not "
    "comparable with scaled runs. The seed study's 0-255 pixels are why its validation loss "
    "stayed high for a 95% model.",
    "Scale inputs to [0, 1] (the default; drop --no-scale) or standardise them.",
)
_code(
    "data.unscaled_targets",
    "warning",
    "Regression targets are not scaled",
    "Targets range far beyond a few units (prices, counts, scores): an untrained network "
    "outputs values near 0, so the first losses and gradients are as large as the targets "
    "squared. SGD blows up, adaptive optimizers spend thousands of steps only moving the "
    "output bias to the targets' mean, and losses are not comparable across datasets.",
    "Standardise the targets with the training split's mean and standard deviation (and "
    "transform predictions back), or at least divide them by their scale.",
)
_code(
    "data.imbalanced_labels",
    "warning",
    "Labels are badly imbalanced",
    "Some classes have many times more training examples than others (or none at all): "
    "accuracy is dominated by the majority class, and predicting it alone already scores "
    "high.",
    "Use a balanced subset, class weights or resampling, and compare against the "
    "majority-class baseline (or report balanced accuracy).",
)
_code(
    "data.nonfinite_inputs",
    "error",
    "Inputs contain NaN or infinite values",
    "A NaN or infinite input makes that example's outputs, loss and gradients NaN, and one NaN "
    "gradient writes NaN into every weight it reaches: the run is lost at the first such batch. "
    "Usually a corrupt file or a preprocessing step that divided by zero.",
    "Find the bad examples (torch.isfinite(x).all over each example), fix or drop them.",
)
_code(
    "data.constant_inputs",
    "error",
    "Every input is the same",
    "All training examples have identical inputs, so the model cannot tell them apart: at best "
    "it learns the label frequencies. Usually a preprocessing bug (an image scaled to 0, a "
    "wrong column, a tensor overwritten in place).",
    "Check the input pipeline: plot a few examples, print their statistics.",
)
_code(
    "data.labels_unrelated",
    "warning",
    "Labels look unrelated to the inputs",
    "For a learnable task, an example's nearest neighbour in input space usually shares its "
    "label (digits: ~98%, Fashion-MNIST: ~80%); in regression their targets correlate; in "
    "text the next token depends on the current one. Here none of that holds more than "
    "between random pairs, so the labels (targets, next tokens) do not follow from the "
    "inputs: shuffled or misaligned labels (inputs and labels sorted or subset separately). "
    "A model can only memorise such labels, never generalise.",
    "Check that labels line up with their inputs (plot a few examples with their labels); "
    "sort or shuffle inputs and labels together.",
)
_code(
    "model.sees_future",
    "error",
    "The language model sees the tokens it must predict",
    "The output at a position changes when a later input token changes: the model attends to "
    "(or convolves over) the future. In next-token prediction the input at position t + 1 is "
    "the target at position t, so the model can copy the answer: the training loss falls "
    "fast, and nothing it learns works when it generates text one token at a time.",
    "Mask attention causally (a mask with -inf above the diagonal, or is_causal=True), pad "
    "convolutions on the left only, and use unidirectional recurrent layers.",
)
_code(
    "fairness.reused_model",
    "error",
    "One model trained through several optimizers",
    "Each optimizer continued training the previous optimizer's model, so later optimizers "
    "start from trained weights: their curves and final numbers are not comparable.",
    "Drop reuse_model (the default): every trial then starts from identical fresh weights.",
)


_code(
    "tune.lr_at_edge",
    "warning",
    "The best learning rate is at the edge of the grid",
    "The learning-rate search picked the largest (or smallest) value it tried, so the best "
    "learning rate may lie beyond the grid: the comparison gave this optimizer a handicap that "
    "a wider grid would remove.",
    "Widen the grid on that side (the message suggests one) and tune again.",
)
_code(
    "tune.lr_grid_narrow",
    "warning",
    "The learning-rate grid is too narrow to tune",
    "A search over fewer than 3 learning rates, or over less than a factor of 10, cannot show "
    "where the loss is best: whichever value wins is likely at an edge.",
    "Use a log grid over at least two decades, e.g. lr_grid = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2].",
)


# What this package's monitors and data checks raise (other modules register more codes).
_code(
    "data.skipped_files",
    "warning",
    "Input files were skipped",
    "The data reader left files out: images it could not decode, images larger than the "
    "decompression-bomb limit, or links that point outside the dataset folder. The study "
    "ran on the rest, so its example counts are smaller than the folder suggests.",
    "Repair or remove the files named in the message (the full list is in the store's "
    "`dataset` meta entry), or ignore this if leaving them out is what you want.",
)
MONITOR_CODES = (
    "train.nan_loss",
    "train.nonfinite_grad",
    "init.loss_too_high",
    "init.loss_too_low",
    "train.loss_frozen",
    "train.not_decreasing",
    "train.acc_at_chance",
    "train.at_chance",
    "grad.exploding",
    "grad.vanishing",
    "grad.missing",
    "act.dying_relu",
    "act.saturated",
    "opt.update_ratio_high",
    "opt.update_ratio_low",
    "train.diverged",
    "train.oscillating",
    "val.overfitting",
)
DATA_CODES = (
    "data.nonfinite_inputs",
    "data.constant_inputs",
    "data.labels_unrelated",
    "data.unscaled_inputs",
    "data.unscaled_targets",
    "data.imbalanced_labels",
)
# Known from the study file alone (`optbench doctor`, and the driver before training).
STUDY_CODES = ("fairness.reused_model", "tune.lr_grid_narrow")


def explain(code: str) -> CodeInfo:
    """The catalogue entry of `code`; unknown codes fail with a close-match suggestion."""
    return CODES.get(code)
