"""What the report says, section by section, as a Document both renderers draw.

The order is the order a reader needs: the verdict first (with its uncertainty), then the
numbers, the setup they came from, the method, the figures, and finally the evidence that the
comparison was fair, every trial, every finding, the exact configuration and the machine.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass

from optbench.core.specs import Finding
from optbench.core.study_toml import study_dict_to_toml
from optbench.plots import PALETTE, seed_note
from optbench.report import format as fmt
from optbench.report.analysis import Analysis, GroupStats, WorkloadAnalysis, compared
from optbench.report.diagnosis import TrialDiagnosis, active_errors, diagnose_trials
from optbench.report.document import (
    Bullets,
    Callout,
    Cell,
    Code,
    Document,
    Figure,
    Heading,
    Paragraph,
    Raw,
    Table,
    cell,
    table,
)
from optbench.report.figures import FigureSet
from optbench.report.head_hook import head_sections
from optbench.report.reference import study_reference
from optbench.report.view import StudyView, TrialView, primary_tag

VAL_NOTE = (
    "Validation is the dataset's own test split, as in the seed study "
    "(Keras `validation_data=(x_test, y_test)`); no model selection used it."
)
ONE_SEED = (
    "**One seed per optimizer: one seed cannot decide.** Every number below comes from a "
    "single run, so no difference between optimizers can be told apart from seed-to-seed "
    "noise; another seed may well reorder them. Re-run with `--seeds 0,1,2,3,4` before "
    "ranking optimizers."
)
PAIRED_METHOD = (
    "Each row compares two optimizers seed by seed: for one seed both start from the same "
    "initial weights and see the same batches, so the per-seed difference cancels the noise "
    "they share. *Difference* is the mean per-seed difference, first minus second (percentage "
    "points, pp, for accuracy); *95% CI* is its paired t-interval; *d_z* is the mean difference "
    "divided by the standard deviation of the differences (Cohen's d for paired samples). A pair "
    "is *not distinguishable* when its interval contains 0: these seeds cannot tell the "
    "difference from noise, which does not mean the two are equal. Each interval is for its own "
    "pair; with many pairs some will exclude 0 by chance, so *p (Holm)* is the paired t-test "
    "corrected for every pair on the metric (Holm–Bonferroni), and a verdict says so when a "
    "difference does not survive that correction."
)


def metric_title(tag: str) -> str:
    """`val/acc` → `Final test accuracy`."""
    return "Final " + fmt.metric_name(tag)


def _score(w: WorkloadAnalysis) -> tuple[str, str, bool]:
    """(the tag optimizers are ranked by, its name, whether it is a percentage)."""
    return w.score, fmt.metric_name(w.score), fmt.is_percent(w.score)


@dataclass
class _Ctx:
    view: StudyView
    analysis: Analysis
    figures: FigureSet
    swatch: dict[str, int]
    diagnoses: dict[str, TrialDiagnosis]  # trial id → its findings grouped by cause


def build_document(view: StudyView, analysis: Analysis, figures: FigureSet) -> Document:
    """The whole report, from the study's view, its analysis and the planned figures."""
    doc = Document(f"Study `{view.name}`")
    swatch = {g: i % len(PALETTE) for i, g in enumerate(analysis.group_order)}
    ctx = _Ctx(view, analysis, figures, swatch, diagnose_trials(view))
    for add in (
        _summary,
        _results,
        _reference,
        _heads,
        _setup,
        _comparisons,
        _ranking,
        _time_to_target,
        _lr_sensitivity,
        _profile,
        _curves,
        _fairness,
        _trials,
        _findings,
        _config,
        _environment,
    ):
        add(doc, ctx)
    return doc


def _each_workload(
    doc: Document, ctx: _Ctx, add: Callable[[Document, _Ctx, WorkloadAnalysis], None]
) -> None:
    """Run `add` per dataset, under a sub-heading only when the study spans several."""
    for w in ctx.analysis.workloads:
        if ctx.analysis.multi:
            doc.add(Heading(f"Dataset `{w.workload}`", 3))
        add(doc, ctx, w)


def _label(ctx: _Ctx, t: TrialView) -> str:
    """A trial's label; with several datasets it names the dataset too."""
    label = t.row["label"]
    return f"{label} on {t.workload}" if ctx.analysis.multi else label


def _group_cell(ctx: _Ctx, group: str) -> Cell:
    return cell(group, group, ctx.swatch.get(group))


# -- summary ---------------------------------------------------------------------------------
def _summary(doc: Document, ctx: _Ctx) -> None:
    doc.section("Summary", "summary")
    _each_workload(doc, ctx, _summary_workload)
    _findings_summary(doc, ctx)


def _summary_workload(doc: Document, ctx: _Ctx, w: WorkloadAnalysis) -> None:
    if not w.ranking:
        doc.add(Paragraph("No trial has finished successfully yet: there is nothing to compare."))
        return
    if w.seeds == 1:
        doc.add(Callout(ONE_SEED, "warning"))
    best = w.ranking[0].group
    score, name, _ = _score(w)
    acc = _stats(w, best).interval(score)
    spread = (
        f"95% CI [{fmt.value(acc.low, score)}, {fmt.value(acc.high, score)}], {acc.n} seeds"
        if acc.defined
        else f"{acc.n} seed, no interval"
    )
    lines = [fmt.comparison_line(c, bold=True) for c in w.comparisons[score] if c.a == best]
    against = " Paired by seed, against each other optimizer:" if lines else ""
    most = "Highest" if w.task.primary.higher_is_better else "Lowest"
    headline = f"**{most} mean final {name}:** {best}, {fmt.value(acc.mean, score)} ({spread})."
    doc.add(Paragraph(headline + against))
    if lines:
        doc.add(Bullets(tuple(lines)), Paragraph(_pairs_tally(w)))
    unfinished = [
        f"{g.group} ({len(g.trials) - g.finished})" for g in w.groups if g.finished < len(g.trials)
    ]
    if unfinished:
        doc.add(
            Callout(
                "**Not every trial finished:** " + ", ".join(unfinished) + ". Statistics use "
                "finished trials only, and pairs only the seeds both finished; an optimizer that "
                "fails on some seeds looks better than it is (see *Trials* and *Findings*).",
                "warning",
            )
        )


def _pairs_tally(w: WorkloadAnalysis) -> str:
    """How many of all pairs the seeds can tell apart, per pair and after Holm's correction."""
    pairs = w.comparisons[w.score]
    if w.seeds < 2:
        return (
            f"None of the {len(pairs)} pair(s) can be decided with one seed. "
            "Method and every pair: see *Comparisons*."
        )
    apart = [c for c in pairs if c.winner is not None]
    holm = [c for c in apart if c.holm_agrees]
    return (
        f"Of all {len(pairs)} pair(s) on {fmt.metric_name(w.score)}, {len(apart)} are "
        "distinguishable by "
        f"their own 95% interval and {len(holm)} after Holm correction for {len(pairs)} "
        "comparisons. Method and every pair: see *Comparisons*."
    )


def _findings_summary(doc: Document, ctx: _Ctx) -> None:
    findings = ctx.view.findings
    if not findings:
        doc.add(Paragraph("No findings: the monitors saw no training problem."))
        return
    counts = defaultdict(int)
    for f in findings:
        counts[f["severity"]] += 1
    doc.add(Paragraph(f"**Findings:** {fmt.counts(counts)} (see *Findings*)."))
    study = {f["code"]: f["message"] for f in findings if _study_error(f)}
    for code, message in {**study, **active_errors(ctx.diagnoses)}.items():
        doc.add(Callout(f"**Error `{code}`:** {message}", "warning"))


def _study_error(f: dict) -> bool:
    return f["severity"] == "error" and f["trial_id"] is None


def _stats(w: WorkloadAnalysis, group: str) -> GroupStats:
    return next(g for g in w.groups if g.group == group)


# -- setup -----------------------------------------------------------------------------------
def _setup(doc: Document, ctx: _Ctx) -> None:
    c, d = ctx.view.config, ctx.view.dataset
    model = c.get("model", {})
    inputs = (
        "scaled to [0, 1]" if d.get("scaled") else f"NOT scaled (raw range {d.get('raw_range')})"
    )
    rows = [
        (
            "Dataset",
            f"{d.get('name', '?')} — {d.get('train_examples', '?')} train / "
            f"{d.get('test_examples', '?')} test, from `{d.get('source', '?')}`",
        ),
        ("Inputs", inputs),
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
    doc.section("Setup", "setup")
    doc.add(table(("", ""), [(cell(k), cell(v)) for k, v in rows]))
    doc.add(Paragraph("Optimizers with every hyperparameter as resolved for the run:"))
    doc.add(_optimizer_table(ctx))


def _optimizer_table(ctx: _Ctx) -> Table:
    rows, seen = [], set()
    for t in ctx.view.trials:
        if t.group in seen:
            continue
        seen.add(t.group)
        opt = t.spec.get("optimizer", {})
        hparams = ", ".join(f"{k}={_value(v)}" for k, v in sorted(opt.get("hparams", {}).items()))
        rows.append(
            (
                _group_cell(ctx, t.group),
                cell(f"`{opt.get('name')}`"),
                cell(opt.get("profile")),
                cell(hparams),
            )
        )
    return table(("Optimizer", "Name", "Profile", "Hyperparameters"), rows)


def _value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list | tuple):
        return "(" + ", ".join(_value(x) for x in v) + ")"
    return str(v)


# -- results ---------------------------------------------------------------------------------
def _short(tag: str) -> str:
    """A column header: `val/acc` → `Test acc`, `train/r2` → `Train R²`."""
    split, _, name = tag.partition("/")
    title = "acc" if name == "acc" else fmt.METRICS[name].title if name in fmt.METRICS else name
    return f"{fmt.SPLITS.get(split, split).capitalize()} {title}"


def result_columns(w: WorkloadAnalysis) -> tuple[str, ...]:
    """The results table's columns for the workload's task (accuracy, R², perplexity…)."""
    score, unit = w.score, " (%)" if fmt.is_percent(w.score) else ""
    return (
        "Optimizer",
        "Seeds",
        _short(score),
        f"{_short(score)} 95% CI{unit}",
        "Test loss",
        "Test loss 95% CI",
        _short("train/" + score.partition("/")[2]),
        "Train loss",
        f"Best {_short(score).lower()} (epoch)",
        "s/epoch",
    )


def _results(doc: Document, ctx: _Ctx) -> None:
    doc.section("Results (final epoch)", "results")
    _each_workload(doc, ctx, _results_workload)
    doc.add(
        Paragraph(
            f"{VAL_NOTE} Values are mean ± standard deviation over seeds; the 95% CI is the "
            "t-interval of the mean (— with one seed). *Best test acc* picks each trial's best "
            "epoch on the test split itself, so it is optimistic; the final epoch is the honest "
            "number."
        )
    )


def _results_workload(doc: Document, ctx: _Ctx, w: WorkloadAnalysis) -> None:
    rows = [_result_row(ctx, g, w) for g in w.groups]
    columns = result_columns(w)
    numeric = (False,) + (True,) * (len(columns) - 1)
    doc.add(table(columns, rows, numeric, sortable=True))


def _result_row(ctx: _Ctx, g: GroupStats, w: WorkloadAnalysis) -> tuple[Cell, ...]:
    m = g.interval
    score, percent = w.score, fmt.is_percent(w.score)
    train = "train/" + score.partition("/")[2]
    acc, loss, best, ep = m(score), m("val/loss"), m(w.best_key), m("best_epoch")
    speed = m("seconds_per_epoch")
    best_text = fmt.DASH if not best.n else f"{fmt.pm(best.mean, best.sd, percent)} ({ep.mean:.0f})"
    return (
        _group_cell(ctx, g.group),
        cell(f"{g.finished}/{len(g.trials)}", g.finished),
        cell(fmt.pm(acc.mean, acc.sd, percent), _key(acc.mean)),
        cell(fmt.interval(acc.low, acc.high, percent), _key(acc.low)),
        cell(fmt.pm(loss.mean, loss.sd), _key(loss.mean)),
        cell(fmt.interval(loss.low, loss.high), _key(loss.low)),
        cell(fmt.pm(m(train).mean, m(train).sd, percent), _key(m(train).mean)),
        cell(fmt.pm(m("train/loss").mean, m("train/loss").sd), _key(m("train/loss").mean)),
        cell(best_text, _key(best.mean)),
        cell(fmt.num(speed.mean, 2), _key(speed.mean)),
    )


def _key(x: float) -> float | None:
    return None if fmt.missing(x) else x


# -- reference results -----------------------------------------------------------------------
def _reference(doc: Document, ctx: _Ctx) -> None:
    """The study file's `[reference]` numbers beside the measured means, and why they differ."""
    reference = study_reference(ctx.view, ctx.analysis)
    if reference is None:
        return
    doc.section("Beside the reference results", "reference")
    where = f" ({reference.url})" if reference.url else ""
    doc.add(
        Paragraph(
            f"Reported in **{reference.source}**{where}, next to this study's mean over seeds "
            "for the same optimizer and metric. *Difference* is this study minus the "
            "reference (percentage points, pp, for accuracy)."
        )
    )
    rows = [
        (
            _group_cell(ctx, r.group),
            cell(fmt.METRIC_NAMES[r.metric]),
            cell(fmt.pm(r.mean, r.sd, r.percent), _key(r.mean)),
            cell(fmt.pct(r.reference) if r.percent else fmt.num(r.reference), r.reference),
            cell(fmt.signed(r.difference, r.percent), _key(r.difference)),
        )
        for r in reference.rows
    ]
    columns = ("Optimizer", "Metric", "This study", "Reference", "Difference")
    doc.add(table(columns, rows, (False, False, True, True, True)))
    if reference.conditions:
        doc.add(Paragraph("**The conditions differ**, so the numbers are expected to:"))
        doc.add(Bullets(reference.conditions))
    if reference.notes:
        doc.add(Paragraph("Notes on the reported numbers:"), Bullets(reference.notes))


def _heads(doc: Document, ctx: _Ctx) -> None:
    markdown, html = head_sections(ctx.view, ctx.figures.heads)
    if markdown or html:  # the module writes its own heading; the page's nav still lists it
        doc.add(Raw(markdown, html, nav="Output heads", anchor="heads"))


# -- comparisons and ranking -----------------------------------------------------------------
def _comparisons(doc: Document, ctx: _Ctx) -> None:
    if not any(c for w in ctx.analysis.workloads for c in w.comparisons[w.score]):
        return
    doc.section("Comparisons (paired by seed)", "comparisons")
    doc.add(Paragraph(PAIRED_METHOD))
    _each_workload(doc, ctx, _comparisons_workload)


def _comparisons_workload(doc: Document, ctx: _Ctx, w: WorkloadAnalysis) -> None:
    level = 4 if ctx.analysis.multi else 3
    for metric in compared(w.task):
        pairs = w.comparisons[metric]
        if not pairs:
            continue
        percent = fmt.is_percent(metric)
        rows = [
            (
                cell(f"{c.a} vs {c.b}"),
                cell(c.n, c.n),
                cell(fmt.signed(c.diff.mean, percent), _key(c.diff.mean)),
                cell(fmt.interval(c.diff.low, c.diff.high, percent), _key(c.diff.low)),
                cell(fmt.effect(c.effect), _key(c.effect)),
                cell(fmt.p_value(c.p_holm), _key(c.p_holm)),
                cell(c.verdict),
            )
            for c in pairs
        ]
        unit = " (pp)" if percent else ""
        columns = (
            "Comparison",
            "Seeds",
            "Difference",
            f"95% CI{unit}",
            "d_z",
            "p (Holm)",
            "Verdict",
        )
        doc.add(Heading(metric_title(metric), level))
        doc.add(table(columns, rows, (False, True, True, True, True, True, False), sortable=True))


def _ranking(doc: Document, ctx: _Ctx) -> None:
    if not any(w.ranking for w in ctx.analysis.workloads):
        return
    doc.section("Ranking", "ranking")
    w = next(w for w in ctx.analysis.workloads if w.ranking)
    order = "" if w.task.primary.higher_is_better else ", lowest first"
    doc.add(
        Paragraph(
            f"Ordered by mean final {fmt.metric_name(w.score)}{order}. "
            "*Mean rank* ranks the optimizers on each seed "
            "that every optimizer finished (1 = best, ties share) and averages over those "
            "seeds; *best on* counts the seeds an optimizer won. *Versus the best* is the paired "
            "comparison with the first row: a lower rank that is not distinguishable from the "
            "best is a tie within noise, not a loss."
        )
    )
    _each_workload(doc, ctx, _ranking_workload)


def _ranking_workload(doc: Document, ctx: _Ctx, w: WorkloadAnalysis) -> None:
    rows = []
    for r in w.ranking:
        score, _, percent = _score(w)
        acc = _stats(w, r.group).interval(score)
        versus = fmt.DASH
        if r.versus_best is not None:
            c = r.versus_best
            versus = f"{fmt.signed(-c.diff.mean, percent)}, {c.verdict}"
        rows.append(
            (
                cell(r.rank, r.rank),
                _group_cell(ctx, r.group),
                cell(
                    f"{fmt.value(acc.mean, score)} "
                    f"{fmt.interval(acc.low, acc.high, percent)}".strip(),
                    _key(acc.mean),
                ),
                cell(f"{r.mean_rank:.2f}" if r.seeds else fmt.DASH, _key(r.mean_rank)),
                cell(f"{r.wins}/{r.seeds}", r.wins),
                cell(versus),
            )
        )
    head = f"{_short(w.score)} [95% CI]"
    columns = ("Rank", "Optimizer", head, "Mean rank", "Best on", "Versus the best")
    doc.add(table(columns, rows, (True, False, True, True, True, False), sortable=True))


# -- time to target, lr sensitivity, performance profile ------------------------------------
def _time_to_target(doc: Document, ctx: _Ctx) -> None:
    if not any(w.time_to_target for w in ctx.analysis.workloads):
        return
    doc.section("Time to target", "time-to-target")
    doc.add(
        Paragraph(
            "DeepOBS-style speed: the first epoch at which a trial's test accuracy reaches the "
            "target, as a median over seeds (*never* when most seeds did not reach it), and "
            "the training seconds up to that epoch. The target is 99% of the best optimizer's "
            "mean best test accuracy, rounded down to 0.5 pp, unless one was given."
        )
    )
    _each_workload(doc, ctx, _time_to_target_workload)


def _time_to_target_workload(doc: Document, ctx: _Ctx, w: WorkloadAnalysis) -> None:
    if w.target is None:
        return
    doc.add(Paragraph(f"Target: **{fmt.pct(w.target, 1)}** test accuracy."))
    rows = [
        (
            _group_cell(ctx, r.group),
            cell(f"{r.reached}/{r.total}", r.reached),
            cell(fmt.epochs(r.median_epochs), _finite_key(r.median_epochs)),
            cell(fmt.seconds(r.median_seconds), _finite_key(r.median_seconds)),
        )
        for r in w.time_to_target
    ]
    columns = ("Optimizer", "Seeds reaching it", "Median epochs", "Median seconds")
    doc.add(table(columns, rows, (False, True, True, True), sortable=True))


def _finite_key(x: float) -> float | None:
    if fmt.missing(x):
        return None
    return x if x != float("inf") else 1e300


LR_PARTS = {
    "held-out": (
        "Learning-rate search (held-out data)",
        "The equal-budget search behind the *tuned* groups: every optimizer tried every rate "
        "of the grid for the same epochs on the first seed, evaluated on data held out of the "
        "training set (never the test split); the best rate was then rerun with every seed and "
        "compared above. These trials are not part of the results or comparisons.",
        "Held-out acc",
    ),
    "test": (
        "Learning-rate grid (test split)",
        "Groups of the study that differ only in their learning rate (same optimizer, other "
        "hyperparameters, model and data). Picking the best rate by test accuracy is "
        "optimistic: read this as how sensitive each optimizer is, not as a tuned score.",
        "Test acc",
    ),
}


def _lr_sensitivity(doc: Document, ctx: _Ctx) -> None:
    if not any(w.lr_families for w in ctx.analysis.workloads):
        return
    doc.section("Learning-rate sensitivity", "lr-sensitivity")
    doc.add(
        Paragraph(
            "Final accuracy against learning rate, per optimizer: a flat top forgives a badly "
            "chosen rate, a sharp peak means a ranking without tuning mostly reflects whether "
            "the default rate suited the problem."
        )
    )
    _each_workload(doc, ctx, _lr_workload)


def _lr_workload(doc: Document, ctx: _Ctx, w: WorkloadAnalysis) -> None:
    level = 4 if ctx.analysis.multi else 3
    for split, name in ctx.figures.workloads[w.workload].lr.items():
        title, note, metric = LR_PARTS[split]
        doc.add(Heading(title, level), Paragraph(note))
        doc.add(Figure(name, f"Final {split} {w.task.primary.title} against learning rate"))
        rows = []
        for family in (f for f in w.lr_families if f.split == split):
            best = family.best
            for p in family.points:
                i = p.interval
                rows.append(
                    (
                        cell(family.label, None, ctx.swatch.get(family.color_group))
                        if p is family.points[0]
                        else cell(""),
                        cell(fmt.lr(p.lr), p.lr),
                        cell(i.n, i.n),
                        cell(fmt.pm(i.mean, i.sd, _score(w)[2]), _key(i.mean)),
                        cell(fmt.interval(i.low, i.high, _score(w)[2]), _key(i.low)),
                        cell("best" if p is best else ""),
                    )
                )
        unit = " (%)" if _score(w)[2] else ""
        header = metric if w.task.primary.name == "acc" else _short(w.score)
        columns = ("Optimizer", "lr", "Seeds", header, f"95% CI{unit}", "")
        doc.add(table(columns, rows, (False, True, True, True, True, False)))


def _profile(doc: Document, ctx: _Ctx) -> None:
    a = ctx.analysis
    if not a.profile or not ctx.figures.profile:
        return
    doc.section("Performance profile", "performance-profile")
    doc.add(
        Paragraph(
            "AlgoPerf-style, across the study's datasets: ρ(τ) is the fraction of datasets on "
            "which an optimizer reached its dataset's target within τ times the fastest "
            "optimizer's median epochs. ρ(1) counts outright wins; the value at large τ counts "
            "datasets solved at all."
        )
    )
    doc.add(Figure(ctx.figures.profile, "Performance profile"))
    columns = ("Optimizer", *(f"ρ({t:g})" for t in a.profile_taus))
    rows = [
        (_group_cell(ctx, g), *(cell(f"{r:.2f}", r) for r in rho)) for g, rho in a.profile.items()
    ]
    doc.add(table(columns, rows, (False,) + (True,) * len(a.profile_taus), sortable=True))


# -- figures ---------------------------------------------------------------------------------
def _curves(doc: Document, ctx: _Ctx) -> None:
    doc.section("Curves", "curves")
    _each_workload(doc, ctx, _curves_workload)


def _curves_workload(doc: Document, ctx: _Ctx, w: WorkloadAnalysis) -> None:
    planned = ctx.figures.workloads[w.workload]
    if not planned.groups:
        doc.add(Paragraph("No epoch has finished yet."))
        return
    note = seed_note(max(sum(1 for t in g.trials if t.epochs) for g in w.groups))
    target = "" if w.target is None else f"; dotted line: the {fmt.pct(w.target, 1)} target"
    doc.add(Figure(planned.curves, "All optimizers", f"Every optimizer overlaid ({note}{target})."))
    doc.add(
        Figure(
            planned.strips,
            f"{metric_title(w.score)} and loss per seed",
            "Each dot is one seed; grey lines join the same seed across optimizers (paired); "
            "bar = mean, whisker = 95% CI.",
        )
    )
    for group, name in planned.groups.items():
        doc.add(Figure(name, group))


# -- evidence --------------------------------------------------------------------------------
def _fairness(doc: Document, ctx: _Ctx) -> None:
    doc.section("Fair start", "fair-start")
    by_seed: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for t in ctx.view.trials:
        if t.row["init_fingerprint"] and not t.search:  # a search trains on a subset
            by_seed[(t.workload, t.seed)].append(t.row)
    if not by_seed:
        doc.add(Paragraph("No trial has started yet."))
        return
    rows = []
    for (workload, seed), trial_rows in sorted(by_seed.items()):
        prints = {r["init_fingerprint"] for r in trial_rows}
        losses = {r["first_batch_loss"] for r in trial_rows}
        fp = (
            f"identical `{next(iter(prints))}` ✓"
            if len(prints) == 1
            else f"DIFFER ({len(prints)} fingerprints) ✗"
        )
        loss = f"identical {next(iter(losses)):.6f} ✓" if len(losses) == 1 else "DIFFER ✗"
        first = (cell(workload),) if ctx.analysis.multi else ()
        rows.append((*first, cell(seed), cell(len(trial_rows)), cell(fp), cell(loss)))
    columns = ("Seed", "Trials", "Initial weights", "First-batch loss")
    doc.add(
        Paragraph(
            "Every trial of a seed starts from the same weights and sees the same batches; "
            "only the optimizer differs. This is what makes the per-seed comparisons paired."
        ),
        table(("Dataset", *columns) if ctx.analysis.multi else columns, rows),
    )


def _trials(doc: Document, ctx: _Ctx) -> None:
    doc.section("Trials", "trials")
    counts: dict[str, int] = defaultdict(int)
    for f in ctx.view.findings:
        counts[f["trial_id"]] += 1
    rows = []
    score = primary_tag(ctx.view.trials[0].task) if ctx.view.trials else "val/acc"
    for t in ctx.view.trials:
        score = primary_tag(t.task)
        acc = t.final.get(score) if t.epochs else None
        best = t.epochs[t.best_epoch - 1].get(score) if t.best_epoch else None
        note = (t.row["error"] or "").replace("\n", " ")
        rows.append(
            (
                cell(_label(ctx, t), t.row["position"], ctx.swatch.get(t.group)),
                cell(t.row["status"]),
                cell(len(t.epochs), len(t.epochs)),
                cell(f"`{t.row['init_fingerprint'] or '—'}`"),
                cell(f"`{t.row.get('digest') or '—'}`"),
                cell(fmt.value(acc, score), acc),
                cell(f"{fmt.value(best, score)} ({t.best_epoch})" if best else fmt.DASH, best),
                cell(counts.get(t.id, 0), counts.get(t.id, 0)),
                cell(note),
            )
        )
    columns = (
        "Trial",
        "Status",
        "Epochs",
        "Init fingerprint",
        "Digest",
        _short(score),
        f"Best {_short(score).lower()} (epoch)",
        "Findings",
        "Note",
    )
    numeric = (False, False, True, False, False, True, True, True, False)
    doc.add(table(columns, rows, numeric, sortable=True))


def _findings(doc: Document, ctx: _Ctx) -> None:
    doc.section("Findings", "findings")
    findings = ctx.view.findings
    if not findings:
        doc.add(Paragraph("None: no static check or runtime monitor reported a problem."))
        return
    doc.add(
        Paragraph(
            "What the checks before training and the monitors during training found, per trial: "
            "what happened and why it matters, then how to fix it. Findings that follow from "
            "another are listed under it (its fix is the one to apply); a verdict that the run "
            "later disproved is marked *revised*."
        )
    )
    study = [f for f in findings if f["trial_id"] is None]
    if study:
        doc.add(Heading("Whole study", 3), Bullets(tuple(_finding_line(f) for f in study)))
    labels = {t.id: _label(ctx, t) for t in ctx.view.trials}
    order = [t.id for t in ctx.view.trials]
    order += [k for k in ctx.diagnoses if k not in order]  # trials no longer current
    for key in order:
        if key in ctx.diagnoses:
            title = labels.get(key, f"trial {key}")
            doc.add(Heading(title, 3), Bullets(_diagnosis_lines(ctx.diagnoses[key])))


FOLLOWS_NOTE = re.compile(r" This follows from `[^`]+` \([^)]*\)\.$")


def _diagnosis_lines(diagnosis: TrialDiagnosis) -> tuple[str, ...]:
    """Each root cause with what follows from it; then what follows from study-wide causes."""
    lines = []
    for group in diagnosis.groups:
        line = _finding_line(asdict(group.root))
        if group.follows:
            follows = "; ".join(_follow(f) for f in group.follows)
            line += f" *Explains:* {follows}."
        if group.revised:
            line += f" ***Revised:*** {group.revised}"
        lines.append(line)
    for cause, follows in diagnosis.from_study.items():
        listed = "; ".join(_follow(f) for f in follows)
        lines.append(f"Follows from `{cause}` (see *Whole study*): {listed}.")
    return tuple(lines)


def _follow(f: Finding) -> str:
    """One finding under its cause: code, severity, epoch and what it saw (the monitor's
    "This follows from …" is said by the grouping already)."""
    epoch = "" if f.epoch is None else f", epoch {f.epoch}"
    message = FOLLOWS_NOTE.sub("", f.message).rstrip(".")
    return f"`{f.code}` ({f.severity}{epoch}) {message}"


def _finding_line(f: dict) -> str:
    epoch = "" if f["epoch"] is None else f", epoch {f['epoch']}"
    return f"**{f['severity']}** `{f['code']}`{epoch}: {f['message']} *Fix:* {f['fix']}"


def _config(doc: Document, ctx: _Ctx) -> None:
    if not ctx.view.config:
        return
    doc.section("Study configuration", "config")
    doc.add(
        Paragraph(
            "The resolved study, as stored (`optbench run config.toml` runs it again; finished "
            "trials are skipped):"
        ),
        Code(study_dict_to_toml(ctx.view.config).rstrip("\n"), "toml", "config.toml"),
    )


def _environment(doc: Document, ctx: _Ctx) -> None:
    doc.section("Environment", "environment")
    envs: dict[tuple, int] = defaultdict(int)
    for t in ctx.view.trials:
        e = t.row["env"]
        if e:
            key = tuple(
                str(e.get(k, "?")) for k in ("torch", "python", "device", "threads", "cores")
            )
            envs[(*key, str(e.get("platform", "?")))] += 1
    if not envs:
        doc.add(Paragraph("No trial has started yet."))
        return
    columns = ("torch", "Python", "Device", "Threads per trial", "Cores", "Platform", "Trials")
    rows = [tuple(cell(v) for v in (*key, n)) for key, n in envs.items()]
    doc.add(table(columns, rows))
