"""The report from a store: verdicts, self-contained HTML, byte-identical regeneration,
lr families, several datasets, the head-study hook, exports and study listings."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import re
import sqlite3
import sys
import types

import pytest
from synthetic import build_study

from optbench.api import open_study
from optbench.core.errors import StoreError
from optbench.report import analyse, export_csv, export_json, list_studies, write_reports
from optbench.report.content import build_document
from optbench.report.figures import plan_figures
from optbench.report.html import inline, render_html
from optbench.report.markdown import render_markdown
from optbench.report.write import write_reports as _write_reports

MAX_HTML_BYTES = 5 * 1024 * 1024
write_module = sys.modules[_write_reports.__module__]  # optbench.report's name is a function


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = build_study(tmp_path_factory.mktemp("study") / "s")
    return folder, write_reports(open_study(folder), folder)


def test_five_seeds_state_what_is_and_is_not_distinguishable(study):
    report = (study[0] / "report.md").read_text()
    assert (
        "rmsprop vs adam: +0.28 pp test accuracy, 95% CI [-0.45, 1.00] pp, 4 seeds — "
        "**not distinguishable with 4 seeds**" in report
    )
    assert "rmsprop vs adagrad: +7.80 pp test accuracy, 95% CI [7.05, 8.55] pp" in report
    assert "**rmsprop better**" in report
    assert "Holm" in report and "d_z" in report and "Cohen's d for paired samples" in report
    assert "Not every trial finished:** rmsprop (1)" in report
    assert "one seed cannot decide" not in report


def test_one_seed_says_one_seed_cannot_decide(tmp_path):
    view = open_study(build_study(tmp_path / "s", seeds=(0,), failure=False))
    report = render_markdown(view)
    assert "**One seed per optimizer: one seed cannot decide.**" in report
    assert report.count("not distinguishable with 1 seed: one seed cannot decide") >= 3
    assert "better**" not in report  # no verdict claims a winner


def test_every_finding_is_listed_per_trial_with_its_fix(study):
    for text in ((study[0] / "report.md").read_text(), (study[0] / "report.html").read_text()):
        for code in ("train.nan_loss", "train.slow_progress", "data.small_test_split"):
            assert code in text
        assert "Lower the learning rate or clip gradients." in text
        assert "rmsprop seed=4" in text


def test_html_is_self_contained_and_small(study):
    folder, files = study
    html = files.html.read_text()
    assert files.html.stat().st_size < MAX_HTML_BYTES
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<link" not in html and "<script src" not in html and "@import" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    figures = re.findall(r"!\[[^\]]*\]\(figures/([^)]+)\)", (folder / "report.md").read_text())
    assert html.count('<img src="data:image/png;base64,') == len(figures) >= 6
    assert '<table class="sortable">' in html and 'name="viewport"' in html
    for needle in ("torch", "2.13.0+cpu", "Threads per trial", "config.toml", 'name = "synthetic"'):
        assert needle in html


def test_reports_regenerate_byte_identical_from_the_store(study):
    folder, first = study
    before = {p.name: p.read_bytes() for p in (first.markdown, first.html, *first.figures)}
    again = write_reports(open_study(folder), folder)
    after = {p.name: p.read_bytes() for p in (again.markdown, again.html, *again.figures)}
    assert after == before


def test_lr_family_and_its_figure(study):
    folder = study[0]
    family = analyse(open_study(folder)).workloads[0].lr_families
    assert [(f.label, [p.lr for p in f.points]) for f in family] == [("adam", [0.001, 0.01])]
    assert family[0].best.lr == 0.001
    assert (folder / "figures" / "lr-sensitivity.png").is_file()


def test_several_datasets_get_a_performance_profile(tmp_path):
    folder = build_study(tmp_path / "s", datasets=("digits", "fashion-mnist"), seeds=(0, 1, 2))
    view = open_study(folder)
    analysis = analyse(view)
    report = render_markdown(view)
    assert "## Performance profile" in report and "### Dataset `fashion-mnist`" in report
    assert "adagrad seed=0 on fashion-mnist" in report
    assert analysis.profile is not None and set(analysis.profile) == set(analysis.group_order)
    figures = plan_figures(view, analysis)
    assert figures.profile == "performance-profile.png"
    assert figures.workloads["fashion-mnist"].curves == "fashion-mnist-curves-all.png"
    assert figures.workloads["digits"].curves != figures.workloads["fashion-mnist"].curves


def test_head_study_section_comes_from_the_heads_module(study, monkeypatch):
    view = open_study(study[0])
    assert "Output heads" not in render_markdown(view)  # not a head study
    fake = types.ModuleType("optbench.report.heads")
    fake.heads_markdown = lambda v: (
        "## Output heads\n\n| Head | Acc |\n|---|---|\n| 1×softmax | 50% |"
    )
    fake.heads_html = lambda v: (
        '<h2>Output heads</h2><table><tr><td style="color:#1f77b4">1×softmax</td></tr></table>'
        '<img src="figures/curves-adam.png" alt="adam">'
    )
    monkeypatch.setitem(sys.modules, "optbench.report.heads", fake)
    report = render_markdown(view)
    assert "## Output heads\n\n| Head | Acc |" in report
    assert report.index("## Results") < report.index("## Output heads") < report.index("## Setup")
    analysis = analyse(view)
    doc = build_document(view, analysis, plan_figures(view, analysis))
    page = render_html(doc, study[0] / "figures")
    assert '<section id="heads">\n<h2>Output heads</h2>' in page
    assert '<a href="#heads">Output heads</a>' in page
    section = page.split('id="heads"')[1].split("</section>")[0]
    assert '<img src="data:image/png;base64,' in section
    assert '<div class="table-wrap"><table>' in section  # scrolls sideways on a phone


def test_inline_markup_is_escaped():
    assert inline("a <b> `x<y>` **bold `c`** *em* 2 * 3") == (
        "a &lt;b&gt; <code>x&lt;y&gt;</code> <strong>bold <code>c</code></strong> <em>em</em> 2 * 3"
    )


def test_export_csv_has_one_row_per_epoch(study):
    view = open_study(study[0])
    rows = list(csv.DictReader(io.StringIO(export_csv(view))))
    assert len(rows) == sum(len(t.epochs) for t in view.trials) == 19 * 5 + 3
    assert rows[0]["group"] == "adam" and rows[0]["lr"] == "0.001" and rows[0]["epoch"] == "1"
    assert {"train/loss", "val/acc", "time/epoch_seconds"} <= set(rows[0])


def test_export_json_is_strict_json_with_the_statistics(study):
    data = json.loads(export_json(open_study(study[0])))
    assert len(data["trials"]) == 20 and data["study"] == "synthetic"
    failed = next(t for t in data["trials"] if t["status"] == "failed")
    assert failed["epochs"][2]["val/loss"] is None  # NaN → null
    pairs = data["analysis"]["workloads"][0]["comparisons"]["val/acc"]
    assert pairs[0]["a"] == "rmsprop" and pairs[0]["verdict"] == "not distinguishable with 4 seeds"


def test_list_studies_statuses(tmp_path):
    build_study(tmp_path / "a", failure=False, seeds=(0,))
    build_study(tmp_path / "b", seeds=(4,))
    running = build_study(tmp_path / "c", seeds=(0,), failure=False)
    db = sqlite3.connect(running / "study.sqlite")
    db.execute("UPDATE trials SET status = 'running'")
    db.commit()
    db.close()
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "study.sqlite").write_text("garbage" * 200)
    statuses = {s.folder.name: s.status for s in list_studies(tmp_path)}
    assert statuses == {"a": "finished", "b": "failed", "c": "interrupted", "d": "unreadable"}
    with open(running / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running driver holds
        assert {s.folder.name: s.status for s in list_studies(tmp_path)}["c"] == "running"
    with pytest.raises(StoreError, match="No folder"):
        list_studies(tmp_path / "missing")


def test_one_colour_per_group_in_every_figure(tmp_path, monkeypatch):
    from optbench.report import figures

    seen: dict[str, set[str]] = {}

    def note(group, color):
        seen.setdefault(group, set()).add(color)

    def fake(kind):
        def draw(*args, **kwargs):
            if kind == "overlay":
                for group, color in args[3].items():
                    note(group, color)
            elif kind == "group":
                note(args[0], args[2])
            elif kind == "strips":
                for panel in args[0]:
                    for strip in panel.strips:
                        note(strip.group, args[1][strip.group])
            elif kind == "lr":
                for series in args[0]:
                    note(series.label, series.color)
            elif kind == "profile":
                for group in args[0]:
                    note(group, args[2][group])
            return tmp_path / kind

        return draw

    for kind, name in (
        ("overlay", "plot_overlay"),
        ("group", "plot_group"),
        ("strips", "plot_strips"),
        ("lr", "plot_lr_sensitivity"),
        ("profile", "plot_performance_profile"),
    ):
        monkeypatch.setattr(figures, name, fake(kind))
    folder = build_study(tmp_path / "s", datasets=("digits", "fashion-mnist"), seeds=(0, 1))
    view = open_study(folder)
    analysis = analyse(view)
    figures.draw_figures(view, analysis, plan_figures(view, analysis), tmp_path)
    assert set(seen) == {"adam", "adagrad", "rmsprop", "adam(lr=0.01)"}
    assert all(len(colors) == 1 for colors in seen.values()), seen
    assert len({next(iter(c)) for c in seen.values()}) == 4


@pytest.mark.parametrize("state", ["no trials", "all pending", "all failed"])
def test_unfinished_studies_still_get_a_report(tmp_path, state):
    if state == "no trials":
        folder = build_study(tmp_path / "s", groups=(), findings=False)
    else:
        folder = build_study(tmp_path / "s", seeds=(0, 1), groups=("adam", "rmsprop"))
        db = sqlite3.connect(folder / "study.sqlite")
        if state == "all pending":
            db.execute("DELETE FROM epochs")
            db.execute("UPDATE trials SET status = 'pending', init_fingerprint = NULL, env = NULL")
        else:
            db.execute("UPDATE trials SET status = 'failed', error = 'boom'")
        db.commit()
        db.close()
    files = write_reports(open_study(folder), folder)
    report = files.markdown.read_text()
    assert "## Summary" in report and "## Trials" in report
    assert "better" not in report
    assert "</html>" in files.html.read_text()
