"""Optimizer cards: measured state sizes, one way of counting hyperparameters, the seed
comparison, the guidance and its sources, renderers, the per-machine cache, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import typer
from typer.testing import CliRunner

from optbench.cli import optimizers_cmd
from optbench.cli.app import main
from optbench.optim import OPTIMIZERS, parse_optimizer
from optbench.optim.card_cache import cache_path, cached_cards, read_cache
from optbench.optim.cards import (
    MEASURED_HEADERS,
    active_hparams,
    card_from_dict,
    card_markdown,
    card_to_dict,
    cards_json,
    cards_markdown,
    defaults_rows,
    measured_rows,
    switches,
    tunable_hparams,
)
from optbench.optim.guidance import GUIDANCE, SOURCES
from optbench.optim.probe import measure_state, optimizer_card, optimizer_cards

# float32 bytes of state per parameter, besides small per-tensor counters (`step`)
EXPECTED_BYTES = {
    "sgd": 0,
    "momentum": 4,
    "adagrad": 4,
    "rmsprop": 4,
    "adam": 8,
    "adamw": 8,
    "lars": 4,
}


@pytest.fixture(scope="module")
def torch_cards():
    return optimizer_cards()


@pytest.mark.parametrize("profile", ["torch", "keras"])
@pytest.mark.parametrize(("name", "expected"), EXPECTED_BYTES.items())
def test_measured_state_bytes_per_param(name, expected, profile):
    state = measure_state(parse_optimizer(name, profile))
    assert state.bytes_per_param == expected
    assert state.dtype == "float32"
    # the counters are small: torch keeps `step` as a 4-byte float32 tensor per parameter
    # tensor (none for sgd, none for momentum), our ports and LARS a Python int
    assert state.counter_bytes_per_tensor in (0, 4)


def test_float64_doubles_the_bytes():
    assert measure_state(parse_optimizer("adam"), torch.float64).bytes_per_param == 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rmsprop:centered=true", 8),
        ("rmsprop:momentum=0.9", 8),
        ("rmsprop:centered=true,momentum=0.9", 12),
        ("adam:amsgrad=true", 12),
        ("lars:momentum=0", 0),
        ("sgd:momentum=0.5", 4),
    ],
)
def test_settings_that_add_buffers(text, expected):
    for profile in ("torch", "keras"):
        assert measure_state(parse_optimizer(text, profile)).bytes_per_param == expected


def test_table_lists_every_registry_optimizer(torch_cards):
    labels = [row[0] for row in measured_rows(torch_cards)]
    assert set(OPTIMIZERS.names()) <= set(labels)
    assert [row[0] for row in defaults_rows(torch_cards)] == OPTIMIZERS.names()
    assert all(len(row) == len(MEASURED_HEADERS) for row in measured_rows(torch_cards))


# ---- counting hyperparameters: one rule for every optimizer -----------------------------------


def test_each_number_counts_once_and_flags_are_switches():
    hparams = {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": True}
    assert tunable_hparams(hparams) == ("lr", "betas[0]", "betas[1]", "eps", "weight_decay")
    assert active_hparams(hparams) == ("lr", "betas[0]", "betas[1]", "eps")
    assert switches(hparams) == {"amsgrad": True}
    assert active_hparams({"lr": 0.1, "momentum": 0.0, "nesterov": False}) == ("lr",)


def test_the_counts_the_issue_found_inconsistent(torch_cards):
    by_label = {card.label: card for card in torch_cards}
    assert by_label["adam"].active == ("lr", "betas[0]", "betas[1]", "eps")  # betas: two
    assert by_label["adagrad"].active == ("lr", "eps")  # eps counts here as in rmsprop
    assert "eps" in by_label["rmsprop"].active
    keras = {c.label: c for c in optimizer_cards(["adagrad"], profile="keras")}
    assert keras["adagrad"].active == ("lr", "initial_accumulator_value", "eps")


def test_seed_claims_are_compared(torch_cards):
    by_label = {card.label: card for card in torch_cards}
    assert by_label["sgd"].disagreements == ()
    assert by_label["momentum"].disagreements == ()
    assert by_label["adam"].disagreements == (
        "hyperparameters: 4 in use (lr, betas[0], betas[1], eps), the seed counts 3",
    )
    assert any("the seed counts 1" in d for d in by_label["adagrad"].disagreements)
    # torch AdamW decays by default (0.01): five numbers act, the seed counts three
    assert any("5 in use" in d for d in by_label["adamw"].disagreements)
    assert by_label["nadam"].claim is None and by_label["nadam"].disagreements == ()
    assert by_label["rmsprop:centered=true"].claim is None  # claims are about the defaults


# ---- guidance ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_registered_optimizer_has_guidance_with_sources(name):
    guide = GUIDANCE[name]
    assert guide.strengths and guide.weaknesses and guide.use_when
    for claim in guide.claims():
        assert claim.text.strip() and claim.sources, claim
        assert set(claim.sources) <= set(SOURCES), claim


def test_every_source_is_cited_and_has_a_citation():
    cited = {k for g in GUIDANCE.values() for c in g.claims() for k in c.sources}
    from optbench.optim.guidance import CHOOSING

    cited |= {k for c in CHOOSING for k in c.sources}
    assert cited == set(SOURCES)
    for source in SOURCES.values():
        assert source.short and source.citation
        assert not source.url or source.url.startswith("https://")


def test_guidance_has_no_entry_for_an_unknown_optimizer():
    assert set(GUIDANCE) == set(OPTIMIZERS.names())


# ---- renderers -------------------------------------------------------------------------------


def test_markdown_and_json(torch_cards):
    text = cards_markdown(torch_cards)
    assert text.startswith("# Optimizers")
    assert "| adam | torch | 8 | exp_avg, exp_avg_sq |" in text
    assert "You, Gitman & Ginsburg 2017" in text
    assert "### adam" in text and "[Reddi et al. 2018]" in text
    data = json.loads(json.dumps(cards_json(torch_cards)))
    adam = next(c for c in data["optimizers"] if c["label"] == "adam")
    assert adam["state"]["bytes_per_param"] == 8
    assert adam["hparams"]["betas"] == [0.9, 0.999]
    assert adam["keras_defaults"]["eps"] == 1e-7
    assert adam["guidance"]["weaknesses"][0]["sources"] == ["reddi2018"]
    assert data["sources"]["reddi2018"]["url"].startswith("https://")


def test_one_card_in_markdown_has_facts_guidance_and_sources():
    text = card_markdown(optimizer_card(parse_optimizer("adam")))
    assert text.startswith("## adam (torch profile, `torch.optim.adam.Adam`)")
    assert "**hyperparameters**: 5 numbers" in text
    assert "**Weaknesses**" in text and "**Sources**" in text
    assert "https://arxiv.org/abs/1904.09237" in text


def test_card_for_an_import_path():
    card = optimizer_card(parse_optimizer("torch.optim:Adam"))
    assert card.state.bytes_per_param == 8
    assert card.class_name == "torch.optim.adam.Adam"
    assert card.claim is None


def test_a_card_survives_its_json_form(torch_cards):
    for card in torch_cards:
        assert card_from_dict(json.loads(json.dumps(card_to_dict(card)))) == card


# ---- the per-machine cache -------------------------------------------------------------------


def test_cached_cards_equal_measured_ones_and_are_read_back(tmp_path, monkeypatch):
    first = cached_cards(None, "torch", tmp_path)
    assert [c.label for c in first] == [c.label for c in optimizer_cards()]
    stored = read_cache(cache_path(tmp_path, "torch"))
    assert stored["default"] == [c.label for c in first]

    def refuse(*args, **kwargs):
        raise AssertionError("measured again although the cache holds the cards")

    monkeypatch.setattr("optbench.optim.card_cache.measure", refuse)
    assert cached_cards(None, "torch", tmp_path) == first
    assert [c.label for c in cached_cards(["adam", "lars"], "torch", tmp_path)] == ["adam", "lars"]


def test_new_settings_are_measured_once_and_added(tmp_path, monkeypatch):
    calls = []
    real = __import__("optbench.optim.card_cache", fromlist=["measure"]).measure

    def counting(texts, profile):
        calls.append(list(texts or []))
        return real(texts, profile)

    monkeypatch.setattr("optbench.optim.card_cache.measure", counting)
    cached_cards(["adam:lr=0.1"], "keras", tmp_path)
    cached_cards(["adam:lr=0.1"], "keras", tmp_path)
    assert calls == [["adam:lr=0.1"]]
    assert cache_path(tmp_path, "keras") != cache_path(tmp_path, "torch")


def test_an_unreadable_cache_is_measured_again(tmp_path):
    path = cache_path(tmp_path, "torch")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    [card] = cached_cards(["sgd"], "torch", tmp_path)
    assert card.state.bytes_per_param == 0
    assert "sgd" in read_cache(path)["cards"]


def test_your_own_class_is_never_cached(tmp_path):
    cached_cards(["torch.optim:Adam"], "torch", tmp_path)
    assert not (tmp_path / "cards").exists()


# ---- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path, monkeypatch) -> typer.Typer:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path / "cache"))
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a group, so the command is called by name
        pass

    optimizers_cmd.register(app)
    return app


def test_cli_table(app):
    result = CliRunner().invoke(
        app, ["optimizers", "-o", "adam,sgd", "-o", "lars"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "Optimizers, measured" in result.output
    assert "exp_avg_sq" in result.output and "momentum_buffer" in result.output
    assert "Defaults and update rules" in result.output
    assert "Which optimizer?" in result.output


def test_cli_one_card_in_full(app):
    result = CliRunner().invoke(app, ["optimizers", "adam"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    for heading in ("Strengths", "Weaknesses", "Use it when", "Sources"):
        assert heading in result.output
    assert "Kingma & Ba 2015" in result.output and "5 numbers" in result.output


def test_cli_json_keras_profile(app):
    result = CliRunner().invoke(
        app, ["optimizers", "--format", "json", "--profile", "keras", "--optimizer", "rmsprop"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [card] = data["optimizers"]
    assert card["profile"] == "keras" and card["hparams"]["alpha"] == 0.9


def test_cli_markdown_import_path(app):
    result = CliRunner().invoke(
        app, ["optimizers", "--format", "markdown", "--optimizer", "torch.optim:Adagrad"]
    )
    assert result.exit_code == 0, result.output
    assert "| torch.optim:Adagrad | torch | 4 |" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["optimizers", "--optimizer", "adamm"], "Did you mean 'adam'"),
        (["optimizers", "adamm"], "Did you mean 'adam'"),
        (["optimizers", "--optimizer", "adam:lrr=1"], "Did you mean 'lr'?"),
        (["optimizers", "--optimizer", "torch.nn:Linear"], "is not a torch.optim.Optimizer"),
        (["optimizers", "--profile", "tf"], "Unknown profile 'tf'"),
        (["optimizers", "--format", "html"], "Invalid value for '--format'"),
    ],
)
def test_cli_bad_input_exits_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


def test_cli_via_main(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    assert main(["optimizers", "--format", "json", "-o", "sgd"]) == 0
    assert json.loads(capsys.readouterr().out)["optimizers"][0]["state"]["bytes_per_param"] == 0


@pytest.mark.slow  # a fresh interpreter or a spawned worker
def test_a_cached_run_does_not_import_torch(tmp_path: Path) -> None:
    """The first run measures (torch); later ones read the cache and never import it."""
    script = (
        "import sys, io, contextlib; from optbench.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): code = main(['optimizers', 'adam'])\n"
        "print(code, 'torch' in sys.modules)"
    )
    env = {"OPTBENCH_CACHE": str(tmp_path), "PYTHONPATH": ":".join(sys.path), "COLUMNS": "80"}
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert [r.stdout.split() for r in runs] == [["0", "True"], ["0", "False"]], runs
