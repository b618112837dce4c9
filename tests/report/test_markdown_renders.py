"""report.md renders cleanly as Markdown: every table is a table, inline code and emphasis
are closed (no stray backticks or asterisks in the text a reader sees), for a plain study,
a study with reference results and a head study. Rendered with markdown-it (CommonMark with
GitHub's tables), which rich already depends on."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from synthetic import build_study

from optbench.report import open_study, render_markdown

REFERENCE = {
    "source": "the homework (HW2, Q3)",
    "url": "",
    "conditions": {"scale": False, "reuse_model": True},
    "results": [{"group": "adam", "metrics": {"val/acc": 0.95}, "note": "epoch 9 of 10"}],
}


def with_reference(folder: Path) -> Path:
    db = sqlite3.connect(folder / "study.sqlite")
    config = json.loads(db.execute("SELECT value FROM meta WHERE key = 'study'").fetchone()[0])
    db.execute(
        "UPDATE meta SET value = ? WHERE key = 'study'",
        (json.dumps({**config, "reference": REFERENCE}),),
    )
    db.commit()
    db.close()
    return folder


def head_study(folder: Path) -> Path:
    import optbench

    study = {
        "name": "heads-md",
        "dataset": {"name": "digits", "classes": [3, 8]},
        "optimizers": ["sgd"],
        "epochs": 1,
        "heads": [{"units": 1, "activation": "softmax", "loss": "bce"}, {"activation": "linear"}],
        "workers": 1,
        "histogram_freq": 0,
    }
    return optbench.run_study(study, folder, cache_dir=folder.parent / "cache").folder


def rendered(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


def visible(html: str) -> str:
    """The text a reader sees, code spans and blocks left out."""
    html = re.sub(r"<code>.*?</code>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("kind", ["plain", "reference", "heads"])
def test_report_md_renders_cleanly(kind: str, tmp_path: Path) -> None:
    folder = build_study(tmp_path / "s") if kind != "heads" else head_study(tmp_path / "h")
    if kind == "reference":
        with_reference(folder)
    text = (
        render_markdown(open_study(folder))
        if kind != "heads"
        else (folder / "report.md").read_text()
    )
    html = rendered(text)
    tables = sum(1 for line in text.splitlines() if re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", line))
    assert html.count("<table>") == tables >= 3
    seen = visible(html)
    assert "`" not in seen
    assert "**" not in seen and "|---" not in seen
    if kind == "reference":
        assert "Beside the reference results" in seen and "95.00%" in seen
    if kind == "heads":
        assert "head.single_unit_softmax" in html
