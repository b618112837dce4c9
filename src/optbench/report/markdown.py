"""The Markdown report: setup, the final table ("Get Reports" of the seed), fairness, curves."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from optbench.plots import figure_name, save_all
from optbench.report.view import GroupSummary, StudyView

VAL_NOTE = (
    "Validation is the dataset's own test split, as in the seed study "
    "(Keras `validation_data=(x_test, y_test)`); no model selection used it."
)


def render_markdown(view: StudyView, figures_dir: str = "figures") -> str:
    sections = [
        f"# Study `{view.name}`",
        _setup(view),
        "## Results (final epoch)",
        _results_table(view.groups()),
        _seed_note(view),
        "## Fair start",
        _fairness(view),
        "## Curves",
        _curves(view, figures_dir),
        "## Trials",
        _trials(view),
        "## Findings",
        _findings(view),
        "## Environment",
        _environment(view),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _setup(view: StudyView) -> str:
    c, d = view.config, view.dataset
    model = c.get("model", {})
    rows = [
        (
            "Dataset",
            f"{d.get('name', '?')} — {d.get('train_examples', '?')} train / "
            f"{d.get('test_examples', '?')} test, from `{d.get('source', '?')}`",
        ),
        (
            "Inputs",
            "scaled to [0, 1]"
            if d.get("scaled")
            else f"NOT scaled (raw range {d.get('raw_range')})",
        ),
        (
            "Model",
            f"{model.get('name')} hidden={model.get('hidden')} "
            f"activation={model.get('activation')} init={model.get('init')}",
        ),
        (
            "Training",
            f"{c.get('epochs')} epochs, batch {c.get('batch_size')}, "
            f"loss {c.get('loss')}, seeds {c.get('seeds')}",
        ),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def _fmt(mean: float, std: float, digits: int = 4, percent: bool = False) -> str:
    if mean is None or math.isnan(mean):
        return "—"
    scale, unit = (100.0, "%") if percent else (1.0, "")
    text = f"{mean * scale:.{digits}f}{unit}"
    if not math.isnan(std):
        text += f" ± {std * scale:.{digits}f}"
    return text


def _results_table(groups: list[GroupSummary]) -> str:
    header = (
        "| Optimizer | Seeds | Train acc | Train loss | Test acc | Test loss "
        "| Best test acc (epoch) | s/epoch |\n|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    for g in groups:
        m, s = g.mean, g.std
        done = sum(1 for t in g.trials if t.row["status"] == "finished")
        if not m:
            lines.append(f"| {g.group} | 0/{len(g.trials)} | — | — | — | — | — | — |")
            continue
        best = f"{_fmt(m['best/val_acc'], s['best/val_acc'], 2, True)} ({m['best_epoch']:.0f})"
        cells = [
            g.group,
            f"{done}/{len(g.trials)}",
            _fmt(m["train/acc"], s["train/acc"], 2, True),
            _fmt(m["train/loss"], s["train/loss"]),
            _fmt(m["val/acc"], s["val/acc"], 2, True),
            _fmt(m["val/loss"], s["val/loss"]),
            best,
            f"{m['seconds_per_epoch']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\n{VAL_NOTE} Values are mean ± standard deviation over seeds."


def _seed_note(view: StudyView) -> str:
    seeds = len(view.config.get("seeds", [])) or 1
    if seeds > 1:
        return ""
    return (
        "> **One seed per optimizer.** A single run cannot tell a real difference from "
        "seed-to-seed noise; re-run with `--seeds 0,1,2,3,4` before ranking optimizers."
    )


def _fairness(view: StudyView) -> str:
    by_seed: dict[int, list[dict]] = defaultdict(list)
    for t in view.trials:
        if t.row["init_fingerprint"]:
            by_seed[t.row["seed"]].append(t.row)
    if not by_seed:
        return "No trial has started yet."
    lines = ["| Seed | Trials | Initial weights | First-batch loss |", "|---|---|---|---|"]
    for seed, rows in sorted(by_seed.items()):
        prints = {r["init_fingerprint"] for r in rows}
        losses = {r["first_batch_loss"] for r in rows}
        fp = (
            f"identical `{next(iter(prints))}` ✓"
            if len(prints) == 1
            else f"DIFFER ({len(prints)} fingerprints) ✗"
        )
        loss = f"identical {next(iter(losses)):.6f} ✓" if len(losses) == 1 else "DIFFER ✗"
        lines.append(f"| {seed} | {len(rows)} | {fp} | {loss} |")
    return (
        "Every trial of a seed starts from the same weights and sees the same batches; "
        "only the optimizer differs.\n\n" + "\n".join(lines)
    )


def _curves(view: StudyView, figures_dir: str) -> str:
    parts = [f"![All optimizers]({figures_dir}/curves-all.png)"]
    parts += [f"![{g}]({figures_dir}/{figure_name(g)})" for g in view.runs()]
    return "\n\n".join(parts)


def _trials(view: StudyView) -> str:
    lines = [
        "| Trial | Status | Epochs | Init fingerprint | Test acc | Note |",
        "|---|---|---|---|---|---|",
    ]
    for t in view.trials:
        acc = f"{t.final['val/acc'] * 100:.2f}%" if t.epochs else "—"
        note = (t.row["error"] or "").replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {t.row['label']} | {t.row['status']} | {len(t.epochs)} | "
            f"`{t.row['init_fingerprint'] or '—'}` | {acc} | {note} |"
        )
    return "\n".join(lines)


def _findings(view: StudyView) -> str:
    if not view.findings:
        return "None."
    labels = {t.row["id"]: t.row["label"] for t in view.trials}
    return "\n".join(
        f"- **{f['severity']}** `{f['code']}` — {labels.get(f['trial_id'], 'study')}"
        f"{'' if f['epoch'] is None else ', epoch ' + str(f['epoch'])}: {f['message']} "
        f"*Fix:* {f['fix']}"
        for f in view.findings
    )


def _environment(view: StudyView) -> str:
    envs = [t.row["env"] for t in view.trials if t.row["env"]]
    if not envs:
        return "—"
    env = envs[0]
    threads = sorted({e.get("threads") for e in envs})
    return (
        f"torch {env.get('torch')}, Python {env.get('python')}, device {env.get('device')}, "
        f"{threads} thread(s) per trial on {env.get('cores')} core(s), {env.get('platform')}."
    )


def write_report(view: StudyView, folder: Path) -> Path:
    """Write figures and report.md into the study folder; return the report's path."""
    runs = view.runs()
    if runs:
        save_all(
            runs, folder / "figures", f"{view.name}: {view.dataset.get('name', '')}", list(runs)
        )
    path = folder / "report.md"
    path.write_text(render_markdown(view), encoding="utf-8")
    return path
