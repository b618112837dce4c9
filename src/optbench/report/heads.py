"""The head section of a report: what each output layer × activation × loss did, and why.

For a study with `heads`, one row per head (its seeds averaged): final and best validation
accuracy and loss, final training loss, a verdict (learns / stuck at chance / loss frozen /
diverged, from diagnose.verdict) and its explanation, then each head's checker findings with
their fixes, then the curves. Everything comes from the store: the findings recorded while the
study ran, plus the static checker re-run on each head's model as the trial built it (its
seed) on a synthetic batch shaped like the data, so the section explains every head even for
a study recorded before the checker ran inside trials.

    heads_markdown(view)  → Markdown ("" when the study has no heads)
    heads_html(view)      → an HTML fragment ("" when the study has no heads)
    draw_heads_figure(view, path) → validation accuracy and loss (log scale) of every head
"""

from __future__ import annotations

import html
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from optbench.core.specs import Finding, ModelSpec
from optbench.diagnose.codes import CODES
from optbench.diagnose.setup_check import SETUP_CODES, check_setup
from optbench.diagnose.verdict import verdict
from optbench.models import build_model
from optbench.plots import DPI, colors_for, figure_names, pyplot
from optbench.report.html import inline
from optbench.report.view import StudyView, TrialView

SETUP = {info.code for info in SETUP_CODES}
PROBE_EXAMPLES = 16
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
LINE_STYLES = ("-", "--", ":", "-.")


@dataclass
class HeadRow:
    """One head of the study (all its seeds)."""

    group: str
    units: str
    activation: str
    loss: str
    trials: list[TrialView]
    metrics: dict[str, float] = field(default_factory=dict)  # means over finished seeds
    verdict: str = "not run"
    explanation: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)


def head_rows(view: StudyView) -> list[HeadRow]:
    """One row per head group, in study order; [] for a study without heads."""
    if not view.config.get("heads"):
        return []
    by_group: dict[str, list[TrialView]] = {}
    for trial in view.trials:
        by_group.setdefault(trial.group, []).append(trial)
    return [_row(view, group, trials) for group, trials in by_group.items()]


def head_verdicts(view: StudyView) -> dict[str, str]:
    """Each head's verdict (learns, stuck at chance, loss frozen, …) from its epochs alone: the
    column `optbench show` prints (the full rows also re-run the checker)."""
    by_group: dict[str, list[TrialView]] = {}
    for trial in view.trials:
        by_group.setdefault(trial.group, []).append(trial)
    return {
        group: _verdict(view, [t for t in trials if t.epochs])[0]
        for group, trials in by_group.items()
    }


def _row(view: StudyView, group: str, trials: list[TrialView]) -> HeadRow:
    model, loss = trials[0].spec["model"], trials[0].spec["loss"]
    units = model.get("head_units")
    row = HeadRow(
        group=group,
        units="C" if units is None else str(units),
        activation=model.get("head_activation", "linear"),
        loss=loss,
        trials=trials,
    )
    done = [t for t in trials if t.epochs]
    row.metrics = _metrics(done)
    row.verdict, row.explanation = _verdict(view, done)
    row.findings = _findings(view, trials)
    return row


def _metrics(done: list[TrialView]) -> dict[str, float]:
    if not done:
        return {}
    per: dict[str, list[float]] = {}
    for t in done:
        val_acc = [e["val/acc"] for e in t.epochs]
        val_loss = [e["val/loss"] for e in t.epochs]
        best = max(range(len(val_acc)), key=lambda i: val_acc[i])
        values = {
            "final_acc": val_acc[-1],
            "best_acc": val_acc[best],
            "best_epoch": float(best + 1),
            "final_loss": val_loss[-1],
            "best_loss": min(val_loss, key=lambda v: v if math.isfinite(v) else math.inf),
            "train_loss": t.epochs[-1]["train/loss"],
            "train_acc": t.epochs[-1]["train/acc"],
        }
        for key, value in values.items():
            per.setdefault(key, []).append(value)
    return {key: statistics.fmean(values) for key, values in per.items()}


def _verdict(view: StudyView, done: list[TrialView]) -> tuple[str, str]:
    if not done:
        return "not run", "No epoch finished."
    classes = int(view.dataset.get("num_classes") or 2)
    chance = _majority_share(view.dataset)
    results = [verdict(t.epochs, classes, chance=chance) for t in done]
    labels = [label for label, _ in results]
    if len(set(labels)) == 1:
        return results[0]
    counts = ", ".join(f"{label} ×{labels.count(label)}" for label in dict.fromkeys(labels))
    return f"mixed ({counts})", " / ".join(
        f"seed {t.seed}: {text}" for t, (_, text) in zip(done, results, strict=True)
    )


def _majority_share(dataset: dict[str, Any]) -> float | None:
    counts = dataset.get("test_class_counts")
    if not counts or not sum(counts):
        return None
    return max(counts) / sum(counts)


# -- findings -------------------------------------------------------------------------------


def _findings(view: StudyView, trials: list[TrialView]) -> list[dict[str, Any]]:
    """Recorded findings of the head's trials (one per code), plus the static checker's."""
    ids = {t.id for t in trials}
    found: dict[str, dict[str, Any]] = {}
    for f in view.findings:
        if f.get("trial_id") in ids and f["code"] not in found:
            found[f["code"]] = dict(f)
    for f in _static_check(view, trials[0]):
        found.setdefault(
            f.code,
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "fix": f.fix,
                "trial_id": None,
                "epoch": 0,
            },
        )
    return sorted(
        found.values(), key=lambda f: (f["code"] not in SETUP, SEVERITY_RANK.get(f["severity"], 3))
    )


def _static_check(view: StudyView, trial: TrialView) -> list[Finding]:
    """check_setup on the trial's own initial model and a synthetic batch of the data's shape
    (inputs uniform in [0, 1], labels cycling through the classes)."""
    shape = tuple(view.dataset.get("input_shape") or ())
    classes = int(view.dataset.get("num_classes") or 0)
    if not shape or classes < 2:
        return []
    try:
        spec = _model_spec(trial.spec["model"])
        model = build_model(spec, shape, classes, seed=int(trial.spec.get("seed", 0)))
    except Exception:  # a model the report cannot rebuild: the recorded findings stand
        return []
    generator = torch.Generator().manual_seed(0)
    x = torch.rand((PROBE_EXAMPLES, *shape), generator=generator)
    labels = torch.arange(PROBE_EXAMPLES) % classes
    return check_setup(model, trial.spec["loss"], x, labels, num_classes=classes)


def _model_spec(raw: dict[str, Any]) -> ModelSpec:
    fields = dict(raw)
    fields["hidden"] = tuple(fields.get("hidden", ()))
    return ModelSpec(**fields)


# -- Markdown -------------------------------------------------------------------------------


def heads_markdown(
    view: StudyView, figures_dir: str = "figures", heads_figure: str | None = None
) -> str:
    """The head section in Markdown ("" for a study without heads).

    `heads_figure`: the file name of `draw_heads_figure`'s output inside `figures_dir`, when
    the report drew it; the per-head curve figures of the report are always referenced.
    """
    rows = head_rows(view)
    if not rows:
        return ""
    parts = ["## Output heads", _intro(view), _table_md(rows), "### What each head did, and why"]
    parts += [_explain_md(row) for row in rows]
    parts += ["### Curves", _curves_md(view, rows, figures_dir, heads_figure)]
    return "\n\n".join(parts) + "\n"


def _intro(view: StudyView) -> str:
    classes = view.dataset.get("class_names") or []
    task = " vs ".join(map(str, classes)) if classes else view.dataset.get("name", "?")
    seeds = len(view.config.get("seeds", [])) or 1
    return (
        f"Every head trained on the same task ({task}) from the same seeded initialisation of "
        f"the shared layers and the same batch order; only the output layer and the loss differ. "
        f"Validation numbers, {'mean of ' + str(seeds) + ' seeds' if seeds > 1 else 'one seed'}."
        " The checker's findings were available before training."
    )


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _table_md(rows: list[HeadRow]) -> str:
    lines = [
        "| Head (units × activation) | Loss | Final acc | Best acc (epoch) | Final loss | "
        "Best loss | Train loss | Verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = r.metrics
        best = f"{_num(m.get('best_acc'))} ({m['best_epoch']:.0f})" if m else "—"
        cells = [
            f"{r.units} × {r.activation}",
            f"`{r.loss}`",
            _num(m.get("final_acc")),
            best,
            _num(m.get("final_loss")),
            _num(m.get("best_loss")),
            _num(m.get("train_loss")),
            f"**{r.verdict}**{_flag(r)}",
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _setup_error(row: HeadRow) -> str | None:
    """The code of the head's first setup error (what the table flags), if any."""
    errors = [f["code"] for f in row.findings if f["severity"] == "error" and f["code"] in SETUP]
    return errors[0] if errors else None


def _flag(row: HeadRow) -> str:
    """The flag in Markdown: ` ⚠ `code`` (a code span)."""
    code = _setup_error(row)
    return f" ⚠ `{code}`" if code else ""


def _flag_html(row: HeadRow) -> str:
    """The same flag in HTML: the code in <code>, not in literal backticks."""
    code = _setup_error(row)
    return f" ⚠ <code>{html.escape(code)}</code>" if code else ""


def _explain_md(row: HeadRow) -> str:
    lines = [
        f"**{row.units} × {row.activation} + `{row.loss}`** — *{row.verdict}.* {row.explanation}"
    ]
    for f in row.findings:
        when = "before training" if f["code"] in SETUP else _when(f)
        title = CODES.get(f["code"]).title if f["code"] in CODES else f["code"]
        lines.append(
            f"- **{f['severity']}** `{f['code']}` ({when}) — {title}. {f['message']} "
            f"*Fix:* {f['fix']}"
        )
    if len(lines) == 1:
        lines.append("- The checker found nothing to say about this head.")
    return "\n".join(lines)


def _when(f: dict[str, Any]) -> str:
    epoch = f.get("epoch")
    return "at initialisation" if not epoch else f"epoch {epoch}"


def _curves_md(
    view: StudyView, rows: list[HeadRow], figures_dir: str, heads_figure: str | None
) -> str:
    images = _curve_images(view, rows, figures_dir, heads_figure)
    return "\n\n".join(f"![{alt}]({src})" for alt, src in images)


def _curve_images(
    view: StudyView, rows: list[HeadRow], figures_dir: str, heads_figure: str | None
) -> list[tuple[str, str]]:
    """(alt text, path) of every curve figure: the heads figure when drawn, the overlay of all
    groups, one per head (the report's own curve figures)."""
    images = []
    if heads_figure:
        images.append(
            ("Validation accuracy and loss of every head", f"{figures_dir}/{heads_figure}")
        )
    images.append(("All heads", f"{figures_dir}/curves-all.png"))
    names = figure_names(view.group_order())
    images += [(r.group, f"{figures_dir}/{names[r.group]}") for r in rows if r.group in names]
    return images


# -- HTML -----------------------------------------------------------------------------------


def heads_html(
    view: StudyView, figures_dir: str = "figures", heads_figure: str | None = None
) -> str:
    """The head section as an HTML fragment ("" for a study without heads)."""
    rows = head_rows(view)
    if not rows:
        return ""
    e = html.escape
    colors = colors_for(view.group_order())
    body = [
        '<section class="heads">',
        "<h2>Output heads</h2>",
        f"<p>{e(_intro(view))}</p>",
        _table_html(rows, colors),
        "<h3>What each head did, and why</h3>",
    ]
    for r in rows:
        body.append(
            f"<h4>{e(r.units)} × {e(r.activation)} + <code>{e(r.loss)}</code> — "
            f"<em>{e(r.verdict)}</em></h4><p>{inline(r.explanation)}</p>"
        )
        items = [  # inline(): `code` in a message becomes <code>, not literal backticks
            f'<li class="{e(f["severity"])}"><strong>{e(f["severity"])}</strong> '
            f"<code>{e(f['code'])}</code> — {inline(f['message'])} "
            f"<em>Fix:</em> {inline(f['fix'])}</li>"
            for f in r.findings
        ]
        body.append(f"<ul>{''.join(items)}</ul>" if items else "<p>No findings.</p>")
    body.append("<h3>Curves</h3>")
    for alt, src in _curve_images(view, rows, figures_dir, heads_figure):
        body.append(f'<img src="{e(src)}" alt="{e(alt)}" style="max-width:100%">')
    body.append("</section>")
    return "\n".join(body) + "\n"


def _table_html(rows: list[HeadRow], colors: dict[str, str]) -> str:
    e = html.escape
    head = (
        "<tr><th>Head</th><th>Loss</th><th>Final acc</th><th>Best acc (epoch)</th>"
        "<th>Final loss</th><th>Best loss</th><th>Train loss</th><th>Verdict</th></tr>"
    )
    lines = ["<table>", head]
    for r in rows:
        m = r.metrics
        best = f"{_num(m.get('best_acc'))} ({m['best_epoch']:.0f})" if m else "—"
        swatch = f'<span style="color:{colors.get(r.group, "#000")}">■</span> '
        cells = [
            swatch + e(f"{r.units} × {r.activation}"),
            f"<code>{e(r.loss)}</code>",
            _num(m.get("final_acc")),
            e(best),
            _num(m.get("final_loss")),
            _num(m.get("best_loss")),
            _num(m.get("train_loss")),
            f"<strong>{e(r.verdict)}</strong>{_flag_html(r)}",
        ]
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


# -- figure ---------------------------------------------------------------------------------


def draw_heads_figure(view: StudyView, path: Path) -> Path | None:
    """Validation accuracy (left) and loss on a log scale (right, so a frozen 7.69 and a
    learning 0.3 share one axis), one line per head (mean over seeds). None without heads."""
    rows = head_rows(view)
    if not rows:
        return None
    plt = pyplot()
    colors = colors_for(view.group_order())
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), dpi=DPI)
    for index, r in enumerate(rows):
        runs = [t.epochs for t in r.trials if t.epochs]
        if not runs:
            continue
        n = min(len(run) for run in runs)
        epochs = range(1, n + 1)
        style = LINE_STYLES[index % len(LINE_STYLES)]  # heads that train alike still show
        for ax, tag in zip(axes, ("val/acc", "val/loss"), strict=True):
            mean = [statistics.fmean(run[i][tag] for run in runs) for i in range(n)]
            ax.plot(epochs, mean, style, color=colors.get(r.group), lw=1.8, label=r.group)
    axes[0].set(title="Validation accuracy", xlabel="Epoch", ylabel="Accuracy")
    axes[1].set(title="Validation loss (log scale)", xlabel="Epoch", ylabel="Loss", yscale="log")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{view.name}: output heads", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
