"""Every table reads at 80 columns and at 200: no line wider than the terminal, no word cut
in two (the optimizers table once printed "optimi / zer"), a narrow terminal gets lists."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from optbench.cli.cards_view import card_view, print_tables
from optbench.cli.render import print_listing, print_results
from optbench.optim.parse import parse_optimizer
from optbench.optim.probe import optimizer_card, optimizer_cards
from optbench.report import list_studies, open_study

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
from synthetic import build_study

WIDTHS = (80, 200)
REFERENCE = {
    "source": "a paper, table 2",
    "url": "",
    "conditions": {"scale": False, "seeds": 1},
    "results": [
        {"group": "adam", "metrics": {"val/acc": 0.9, "train/loss": 0.2}, "note": "epoch 9"},
        {"group": "adam(lr=0.01)", "metrics": {"val/acc": 0.85}, "note": ""},
    ],
}


def render(draw: Callable[[Console], None], width: int, wide: bool = False) -> str:
    out = io.StringIO()
    draw(Console(file=out, width=width, color_system=None, force_terminal=False))
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def assert_fits(text: str, width: int, whole: list[str]) -> None:
    assert max(len(line) for line in text.splitlines()) <= width
    words = set(text.replace(",", " ").split())
    for item in whole:
        assert item in words, f"{item!r} is not whole in:\n{text}"


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = build_study(tmp_path_factory.mktemp("w") / "runs" / "a-study-with-a-long-name")
    db = sqlite3.connect(folder / "study.sqlite")
    config = json.loads(db.execute("SELECT value FROM meta WHERE key = 'study'").fetchone()[0])
    config["reference"] = REFERENCE
    db.execute("UPDATE meta SET value = ? WHERE key = 'study'", (json.dumps(config),))
    db.commit()
    db.close()
    return folder


@pytest.fixture(scope="module")
def cards():
    return optimizer_cards()


@pytest.mark.parametrize("width", WIDTHS)
def test_show(study: Path, width: int) -> None:
    view = open_study(study)
    text = render(lambda c: print_results(c, view), width)
    assert_fits(text, width, ["adam", "adagrad", "rmsprop", "adam(lr=0.01)"])
    assert "Beside the reference: a paper, table 2" in text
    assert "Seeds: the reference reports 1 run(s) per group, this study 5" in " ".join(text.split())


@pytest.mark.parametrize("width", WIDTHS)
def test_ls(study: Path, width: int) -> None:
    listings = list_studies(study.parent)
    text = render(lambda c: print_listing(c, listings, study.parent), width)
    assert_fits(text, width, ["a-study-with-a-long-name", "adam(lr=0.01)", "failed"])


def test_ls_folds_to_blocks_when_the_table_cannot_fit(study: Path) -> None:
    listings = list_studies(study.parent)
    text = render(lambda c: print_listing(c, listings, study.parent), 40)
    assert_fits(text, 40, ["a-study-with-a-long-name", "adam(lr=0.01)"])
    assert "─" not in text  # no table rule: one block per study


def test_wide_prints_the_table_whatever_the_terminal(study: Path) -> None:
    listings = list_studies(study.parent)
    text = render(lambda c: print_listing(c, listings, study.parent, wide=True), 40)
    assert "─" in text and max(len(line) for line in text.splitlines()) > 40


@pytest.mark.parametrize("width", WIDTHS)
def test_optimizers(cards, width: int) -> None:
    text = render(lambda c: print_tables(c, cards, wide=False), width)
    labels = [c.label for c in cards]
    buffers = sorted({b for c in cards for b in c.state.buffers})
    assert_fits(text, width, [*labels, *buffers, "optimizer"])
    assert "optimi" not in text.replace("optimizer", "").replace("optimizers", "")


def test_optimizers_at_200_is_the_full_table(cards) -> None:
    text = render(lambda c: print_tables(c, cards, wide=False), 200)
    assert "per-tensor counters" in text and "agrees with seed" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_one_card(width: int) -> None:
    card = optimizer_card(parse_optimizer("adamw"))
    text = render(lambda c: c.print(card_view(card)), width)
    assert_fits(text, width, ["adamw", "https://arxiv.org/abs/1711.05101"])


@pytest.fixture(scope="module")
def head_study(tmp_path_factory) -> Path:
    import optbench

    root = tmp_path_factory.mktemp("heads")
    study = {
        "name": "heads-terminal",
        "dataset": {"name": "digits", "classes": [3, 8]},
        "optimizers": ["sgd"],
        "epochs": 1,
        "heads": [{"units": 1, "activation": "softmax", "loss": "bce"}, {"activation": "linear"}],
        "workers": 1,
        "histogram_freq": 0,
    }
    return optbench.run_study(study, root / "s", cache_dir=root / "cache").folder


@pytest.mark.parametrize("width", [80, 140])
def test_a_head_study_is_summarised_per_head_with_its_verdict(head_study: Path, width: int):
    view = open_study(head_study)
    text = render(lambda c: print_results(c, view), width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "Optimizer" not in text.split("One seed")[0]  # the rows are heads, not optimizers
    flat = " ".join(text.split())
    assert_fits(text, width, ["1×softmax", "bce", "C×linear", "cross_entropy"])
    verdicts = ("learns", "stuck at chance", "loss frozen", "diverged", "not run")
    assert sum(flat.count(v) for v in verdicts) >= 2
    if width == 140:
        assert text.splitlines()[1].split()[0] == "Head" and "Verdict" in text.splitlines()[1]


def test_many_groups_print_the_best_ones_pairs_and_point_to_the_report(tmp_path, monkeypatch):
    import synthetic

    extra = {
        f"adam(lr=0.00{k})": ("adam", {"lr": k / 1000}, 0.85 - k / 100, (0.0,) * 5, 1.5)
        for k in (2, 3)
    }
    for label, group in extra.items():
        monkeypatch.setitem(synthetic.GROUPS, label, group)
    groups = (*synthetic.GROUPS,)  # six: 15 pairs, more than the terminal shows
    folder = build_study(tmp_path / "six", seeds=(0, 1, 2), groups=groups, failure=False)
    out = render(lambda c: print_results(c, open_study(folder)), 200)
    heading = "(rmsprop against each of the others, 5 of 15 pairs; every pair: the report's"
    assert heading in out
    bullets = [line for line in out.splitlines() if line.lstrip().startswith("•")]
    assert len(bullets) == 5 and all("rmsprop" in line for line in bullets)
