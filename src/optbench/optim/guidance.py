"""When to use which optimizer: strengths, weaknesses and guidance, each claim with its sources.

The seed's Q1 asks when to use which optimizer; its own table lists strengths and weaknesses
without sources (and a few that the literature does not support as written). Every claim here
names where it comes from: the optimizer's paper, its authors, a textbook, a large empirical
comparison, the libraries' documentation, or `measured` (optbench's own measurement on the
probe model, shown beside it in `optbench optimizers`). A test checks that every registered
optimizer has guidance and that every claim cites a source listed in SOURCES.

Plain data, no torch: `optbench optimizers` renders it at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A work cited by a claim: its short label (`Kingma & Ba 2015`), the full citation, and
    where to read it ("" when there is no stable address)."""

    key: str
    short: str
    citation: str
    url: str = ""


@dataclass(frozen=True)
class Claim:
    """One statement and the keys of the sources that support it."""

    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Guidance:
    """What an optimizer is good at, where it falls short, and when to reach for it."""

    strengths: tuple[Claim, ...]
    weaknesses: tuple[Claim, ...]
    use_when: tuple[Claim, ...]

    def claims(self) -> tuple[Claim, ...]:
        return self.strengths + self.weaknesses + self.use_when


def _sources(*items: Source) -> dict[str, Source]:
    return {s.key: s for s in items}


SOURCES: dict[str, Source] = _sources(
    Source(
        "measured",
        "measured",
        "Measured by optbench on the probe model (`optbench optimizers`).",
    ),
    Source(
        "robbins1951",
        "Robbins & Monro 1951",
        "Robbins & Monro (1951), A Stochastic Approximation Method. Annals of Mathematical "
        "Statistics 22(3).",
        "https://doi.org/10.1214/aoms/1177729586",
    ),
    Source(
        "bottou2018",
        "Bottou et al. 2018",
        "Bottou, Curtis & Nocedal (2018), Optimization Methods for Large-Scale Machine "
        "Learning. SIAM Review 60(2).",
        "https://arxiv.org/abs/1606.04838",
    ),
    Source(
        "goodfellow2016",
        "Goodfellow et al. 2016",
        "Goodfellow, Bengio & Courville (2016), Deep Learning, MIT Press: §8.5 (algorithms "
        "with adaptive learning rates) and §11.4.1 (the learning rate).",
        "https://www.deeplearningbook.org/contents/optimization.html",
    ),
    Source(
        "wilson2017",
        "Wilson et al. 2017",
        "Wilson, Roelofs, Stern, Srebro & Recht (2017), The Marginal Value of Adaptive "
        "Gradient Methods in Machine Learning. NeurIPS 2017.",
        "https://arxiv.org/abs/1705.08292",
    ),
    Source(
        "dauphin2014",
        "Dauphin et al. 2014",
        "Dauphin, Pascanu, Gulcehre, Cho, Ganguli & Bengio (2014), Identifying and attacking "
        "the saddle point problem in high-dimensional non-convex optimization. NeurIPS 2014.",
        "https://arxiv.org/abs/1406.2572",
    ),
    Source(
        "polyak1964",
        "Polyak 1964",
        "Polyak (1964), Some methods of speeding up the convergence of iteration methods. "
        "USSR Computational Mathematics and Mathematical Physics 4(5).",
        "https://doi.org/10.1016/0041-5553(64)90137-5",
    ),
    Source(
        "goh2017",
        "Goh 2017",
        "Goh (2017), Why Momentum Really Works. Distill.",
        "https://distill.pub/2017/momentum/",
    ),
    Source(
        "sutskever2013",
        "Sutskever et al. 2013",
        "Sutskever, Martens, Dahl & Hinton (2013), On the importance of initialization and "
        "momentum in deep learning. ICML 2013.",
        "https://proceedings.mlr.press/v28/sutskever13.html",
    ),
    Source(
        "nesterov1983",
        "Nesterov 1983",
        "Nesterov (1983), A method for solving the convex programming problem with "
        "convergence rate O(1/k²). Soviet Mathematics Doklady 27(2).",
    ),
    Source(
        "duchi2011",
        "Duchi et al. 2011",
        "Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods for Online Learning and "
        "Stochastic Optimization. JMLR 12.",
        "https://jmlr.org/papers/v12/duchi11a.html",
    ),
    Source(
        "hinton2012",
        "Hinton et al. 2012",
        "Hinton, Srivastava & Swersky (2012), Neural Networks for Machine Learning, lecture 6e "
        "(rmsprop).",
        "https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf",
    ),
    Source(
        "zeiler2012",
        "Zeiler 2012",
        "Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method. arXiv:1212.5701.",
        "https://arxiv.org/abs/1212.5701",
    ),
    Source(
        "kingma2015",
        "Kingma & Ba 2015",
        "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization. ICLR 2015.",
        "https://arxiv.org/abs/1412.6980",
    ),
    Source(
        "reddi2018",
        "Reddi et al. 2018",
        "Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond. ICLR 2018.",
        "https://arxiv.org/abs/1904.09237",
    ),
    Source(
        "loshchilov2019",
        "Loshchilov & Hutter 2019",
        "Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization. ICLR 2019.",
        "https://arxiv.org/abs/1711.05101",
    ),
    Source(
        "dozat2016",
        "Dozat 2016",
        "Dozat (2016), Incorporating Nesterov Momentum into Adam. ICLR 2016 workshop.",
        "https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ",
    ),
    Source(
        "you2017",
        "You et al. 2017",
        "You, Gitman & Ginsburg (2017), Large Batch Training of Convolutional Networks. "
        "arXiv:1708.03888.",
        "https://arxiv.org/abs/1708.03888",
    ),
    Source(
        "you2020",
        "You et al. 2020",
        "You, Li, Reddi, Hseu, Kumar, Bhojanapalli, Song, Demmel, Keutzer & Hsieh (2020), Large "
        "Batch Optimization for Deep Learning: Training BERT in 76 minutes. ICLR 2020.",
        "https://arxiv.org/abs/1904.00962",
    ),
    Source(
        "nado2021",
        "Nado et al. 2021",
        "Nado, Gilmer, Shallue, Anil & Dahl (2021), A Large Batch Optimizer Reality Check: "
        "Traditional, Generic Optimizers Suffice Across Batch Sizes. arXiv:2102.06356.",
        "https://arxiv.org/abs/2102.06356",
    ),
    Source(
        "choi2019",
        "Choi et al. 2019",
        "Choi, Shallue, Nado, Lee, Maddison & Dahl (2019), On Empirical Comparisons of "
        "Optimizers for Deep Learning. arXiv:1910.05446.",
        "https://arxiv.org/abs/1910.05446",
    ),
    Source(
        "schmidt2021",
        "Schmidt et al. 2021",
        "Schmidt, Schneider & Hennig (2021), Descending through a Crowded Valley: "
        "Benchmarking Deep Learning Optimizers. ICML 2021.",
        "https://arxiv.org/abs/2007.01547",
    ),
    Source(
        "keras_docs",
        "Keras docs",
        "Keras 3 API documentation: optimizers.",
        "https://keras.io/api/optimizers/",
    ),
    Source(
        "torch_docs",
        "PyTorch docs",
        "PyTorch documentation: torch.optim.",
        "https://pytorch.org/docs/stable/optim.html",
    ),
)


def _c(text: str, *sources: str) -> Claim:
    return Claim(text, sources)


# Which optimizer at all: printed under the tables, because no card can answer it alone.
CHOOSING: tuple[Claim, ...] = (
    _c(
        "No optimizer dominates: across many tasks performance varied greatly, and trying a "
        "few established optimizers at their defaults did about as well as tuning one.",
        "schmidt2021",
    ),
    _c(
        "Rankings depend on how each optimizer was tuned; with their hyperparameters tuned, "
        "the more general adaptive methods never did worse than momentum or SGD.",
        "choi2019",
    ),
    _c(
        "Yet on several benchmarks the solutions of adaptive methods generalized worse than "
        "SGD's, even with a lower training loss: compare on held-out data, over several seeds, "
        "with the same tuning budget for each (`optbench compare --tune lr --seeds 0,1,2,3,4`).",
        "wilson2017",
    ),
)

_ADAM_MEMORY = _c(
    "Two state buffers the size of the model (8 bytes per float32 parameter) and a step "
    "counter: twice momentum's memory.",
    "measured",
)

GUIDANCE: dict[str, Guidance] = {
    "sgd": Guidance(
        strengths=(
            _c(
                "No optimizer state, and a step costs the same however large the data set: "
                "the method that large-scale learning is built on.",
                "robbins1951",
                "bottou2018",
            ),
            _c(
                "On several deep-learning benchmarks (momentum) SGD found solutions that "
                "generalized better than AdaGrad, RMSprop or Adam, even where those reached a "
                "lower training loss.",
                "wilson2017",
            ),
        ),
        weaknesses=(
            _c(
                "One step size for every coordinate: progress is slow along flat directions "
                "and on the plateaus around saddle points, which in high-dimensional losses are "
                "far more common than poor local minima.",
                "dauphin2014",
            ),
            _c(
                "The learning rate (and its schedule) must be tuned for each problem; it is the "
                "hyperparameter that matters most.",
                "goodfellow2016",
            ),
        ),
        use_when=(
            _c(
                "A baseline with one knob and no memory overhead, or when the last bit of test "
                "accuracy matters and there is budget to tune the learning rate and schedule.",
                "wilson2017",
                "goodfellow2016",
            ),
        ),
    ),
    "momentum": Guidance(
        strengths=(
            _c(
                "A velocity accumulates the gradients: steps grow along directions of steady "
                "descent and oscillations across narrow valleys damp out (on a quadratic, about "
                "√κ instead of κ iterations for condition number κ).",
                "polyak1964",
                "goh2017",
            ),
            _c(
                "With a good initialization and momentum schedule it trained deep and recurrent "
                "networks once thought to need second-order methods.",
                "sutskever2013",
            ),
        ),
        weaknesses=(
            _c(
                "A second hyperparameter (μ) that interacts with the learning rate: too large a "
                "μ overshoots and oscillates.",
                "goh2017",
            ),
            _c("One state buffer: 4 bytes per float32 parameter.", "measured"),
        ),
        use_when=(
            _c(
                "Image classification with a tuned learning-rate schedule, the setting in which "
                "it generalized better than adaptive methods.",
                "wilson2017",
            ),
        ),
    ),
    "nesterov": Guidance(
        strengths=(
            _c(
                "Takes the gradient after the momentum step (a look-ahead), which corrects the "
                "velocity sooner and keeps it more stable than classical momentum at high μ.",
                "sutskever2013",
            ),
            _c(
                "Tuned carefully, it matched or beat LARS at very large batch sizes.",
                "nado2021",
            ),
        ),
        weaknesses=(
            _c(
                "Its proven speed-up (O(1/k²) against gradient descent's O(1/k)) holds for "
                "smooth convex problems with exact gradients, not for noisy deep-learning "
                "losses.",
                "nesterov1983",
            ),
            _c(
                "The same two coupled hyperparameters as momentum, and the same buffer "
                "(4 bytes per parameter).",
                "goh2017",
                "measured",
            ),
        ),
        use_when=(
            _c(
                "Wherever momentum SGD is used: it costs the same and is often the more "
                "stable of the two.",
                "sutskever2013",
                "measured",
            ),
        ),
    ),
    "adagrad": Guidance(
        strengths=(
            _c(
                "A step size per coordinate from the history of its squared gradients: rarely "
                "active (sparse) features get larger steps.",
                "duchi2011",
            ),
            _c(
                "Provably good for online convex learning: its regret is nearly that of the "
                "best fixed per-coordinate scaling chosen in hindsight.",
                "duchi2011",
            ),
        ),
        weaknesses=(
            _c(
                "The accumulator only grows, so the effective learning rate keeps shrinking; "
                "for deep networks this can stop learning too early.",
                "goodfellow2016",
                "zeiler2012",
            ),
            _c(
                "On several deep-learning benchmarks its solutions generalized worse than SGD's.",
                "wilson2017",
            ),
        ),
        use_when=(
            _c(
                "Convex or shallow models on sparse, high-dimensional features (e.g. text "
                "classification); for deep networks prefer RMSprop or Adam, which forget old "
                "gradients.",
                "duchi2011",
                "goodfellow2016",
            ),
        ),
    ),
    "rmsprop": Guidance(
        strengths=(
            _c(
                "Divides each step by a running root-mean-square of recent gradients: "
                "AdaGrad's per-coordinate scaling, but old gradients are forgotten, so the step "
                "does not shrink to zero, and it works on mini-batches.",
                "hinton2012",
                "goodfellow2016",
            ),
            _c(
                "An effective and practical optimizer for deep networks, routinely used.",
                "goodfellow2016",
            ),
        ),
        weaknesses=(
            _c(
                "Its average of squared gradients starts at zero without bias correction: "
                "Adam's authors show very large early steps, and often divergence, when the "
                "decay rate is close to 1.",
                "kingma2015",
            ),
            _c(
                "On several deep-learning benchmarks its solutions generalized worse than SGD's.",
                "wilson2017",
            ),
        ),
        use_when=(
            _c(
                "When a per-coordinate step helps but memory is tight: one buffer (4 bytes per "
                "parameter) against Adam's two.",
                "measured",
            ),
        ),
    ),
    "adadelta": Guidance(
        strengths=(
            _c(
                "No learning rate to tune in the published method: the step takes its scale "
                "from a running RMS of past updates.",
                "zeiler2012",
            ),
            _c(
                "Robust to noisy gradients, architectures and hyperparameter choices in its "
                "author's experiments, at little cost beyond SGD per step.",
                "zeiler2012",
            ),
        ),
        weaknesses=(
            _c(
                "Two running averages: 8 bytes per float32 parameter, twice RMSprop's.",
                "measured",
            ),
            _c(
                "Keras' default lr = 0.001 scales the published step (lr = 1, torch's "
                "default) down a thousandfold; Keras' documentation itself suggests 1.0 to "
                "match the paper.",
                "keras_docs",
                "torch_docs",
            ),
        ),
        use_when=(
            _c(
                "An adaptive method without a learning rate to tune (torch profile, lr = 1).",
                "zeiler2012",
            ),
        ),
    ),
    "adam": Guidance(
        strengths=(
            _c(
                "Momentum on the gradient and a per-coordinate scale from its square, both "
                "bias-corrected; designed to be cheap, invariant to rescaling the gradients, and "
                "suited to noisy or sparse gradients and non-stationary objectives.",
                "kingma2015",
            ),
            _c(
                "Its defaults usually work with little tuning, though the learning rate "
                "sometimes needs changing.",
                "kingma2015",
                "goodfellow2016",
            ),
            _c(
                "Across many tasks at default settings it remained a strong contender; no newer "
                "method beat it consistently.",
                "schmidt2021",
            ),
        ),
        weaknesses=(
            _c(
                "Can fail to converge even on simple convex problems, because its running "
                "average forgets rare large gradients (`amsgrad=true` keeps their maximum).",
                "reddi2018",
            ),
            _c(
                "Its solutions generalized worse than SGD's on several benchmarks, and tuning "
                "its learning rate and decay beat its defaults in every case studied.",
                "wilson2017",
            ),
            _c(
                "Its `weight_decay` is an L2 term added to the gradient, which the adaptive "
                "scaling weakens where gradients are large; AdamW decays the weights directly.",
                "loshchilov2019",
            ),
            _ADAM_MEMORY,
        ),
        use_when=(
            _c(
                "A first choice on a new problem with little budget to tune: run it at its "
                "defaults, then tune the learning rate.",
                "schmidt2021",
                "goodfellow2016",
            ),
        ),
    ),
    "adamw": Guidance(
        strengths=(
            _c(
                "Weight decay applied to the weights, apart from the adaptive gradient step: "
                "this substantially improved Adam's generalization and let it compete with "
                "momentum SGD on image classification.",
                "loshchilov2019",
            ),
            _c(
                "The best weight decay no longer depends on the learning rate, so the two can "
                "be tuned one after the other.",
                "loshchilov2019",
            ),
        ),
        weaknesses=(
            _ADAM_MEMORY,
            _c(
                "Its default decay differs between libraries (torch 0.01, Keras 0.004), so "
                "results depend on the profile.",
                "torch_docs",
                "keras_docs",
            ),
        ),
        use_when=(
            _c(
                "Whenever Adam is used with weight decay: the same cost, and decay that "
                "regularizes as intended.",
                "loshchilov2019",
            ),
        ),
    ),
    "nadam": Guidance(
        strengths=(
            _c(
                "Adam with Nesterov's look-ahead in place of classical momentum; its paper "
                "reports faster convergence than Adam in its experiments.",
                "dozat2016",
            ),
        ),
        weaknesses=(
            _c(
                "The evidence is one short workshop paper; Adam's memory (8 bytes per "
                "parameter) plus a running momentum product per tensor.",
                "dozat2016",
                "measured",
            ),
        ),
        use_when=(
            _c(
                "Where Adam works and Nesterov momentum is worth a try, at the same memory per "
                "parameter.",
                "dozat2016",
                "measured",
            ),
        ),
    ),
    "adamax": Guidance(
        strengths=(
            _c(
                "Adam with the infinity norm in place of the root-mean-square: each step is "
                "bounded by the learning rate.",
                "kingma2015",
            ),
        ),
        weaknesses=(
            _c(
                "A variant sketched in the Adam paper, with far less evidence than Adam; the "
                "same memory (8 bytes per parameter).",
                "kingma2015",
                "measured",
            ),
        ),
        use_when=(
            _c(
                "An alternative to try where Adam works, when a bound on every step is wanted.",
                "kingma2015",
            ),
        ),
    ),
    "lars": Guidance(
        strengths=(
            _c(
                "A per-layer trust ratio ‖w‖/‖g‖ scales each layer's step, which made very "
                "large batches trainable: AlexNet up to 8k and ResNet-50 up to 32k examples "
                "per batch without loss of accuracy.",
                "you2017",
            ),
        ),
        weaknesses=(
            _c(
                "Needs the norms of every layer's weights and gradients at every step, on top of "
                "momentum's buffer (4 bytes per parameter).",
                "you2017",
                "measured",
            ),
            _c(
                "Performed poorly on attention models such as BERT: its gains are not "
                "consistent across tasks.",
                "you2020",
            ),
            _c(
                "Carefully tuned Nesterov momentum matched or exceeded it at large batch sizes.",
                "nado2021",
            ),
        ),
        use_when=(
            _c(
                "Very large-batch training of convolutional networks (thousands of examples "
                "per step); at ordinary batch sizes plain momentum is simpler.",
                "you2017",
                "nado2021",
            ),
        ),
    ),
}


def guidance_for(name: str) -> Guidance | None:
    """The guidance of a registered optimizer (None for your own classes)."""
    return GUIDANCE.get(name)


def cited(guidance: Guidance) -> list[Source]:
    """The sources a card's claims cite, in order of first citation."""
    keys = dict.fromkeys(k for claim in guidance.claims() for k in claim.sources)
    return [SOURCES[k] for k in keys]
