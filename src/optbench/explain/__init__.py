"""optbench.explain — one gradient step by hand, for a neuron or a one-hidden-layer net.

Plain-float arithmetic (forward values, local derivatives, chain-rule products, SGD update),
checked against torch.autograd in the tests, rendered for the terminal, Markdown or LaTeX.

>>> from optbench.explain import explain_example, to_markdown
>>> expl = explain_example("seed-q2")
>>> round(expl.steps[0].value("a"), 4)
0.8808
"""

from __future__ import annotations

from optbench.explain.activation import ACTIVATIONS, Activation
from optbench.explain.example import EXAMPLES, Example, explain_example
from optbench.explain.explanation import Explanation, Step, Term, Update
from optbench.explain.latex import to_latex
from optbench.explain.loss import LOSSES, Loss
from optbench.explain.markdown import to_markdown
from optbench.explain.mlp import explain_mlp
from optbench.explain.neuron import explain_neuron
from optbench.explain.table import to_table

__all__ = [
    "ACTIVATIONS",
    "EXAMPLES",
    "LOSSES",
    "Activation",
    "Example",
    "Explanation",
    "Loss",
    "Step",
    "Term",
    "Update",
    "explain_example",
    "explain_mlp",
    "explain_neuron",
    "to_latex",
    "to_markdown",
    "to_table",
]
