"""Every option's help reads in `--help` as it was written: rich markup must not eat
`[[heads]]` or `[default: …]` (it once printed "A TOML study file with [] (e.g.")."""

from __future__ import annotations

import re

import click
import pytest
import typer

from optbench.cli import app as cli_app
from optbench.cli.app import main

BOX = re.compile(r"[│╭╮╰╯─]")


def _flat(text: str) -> str:
    return " ".join(BOX.sub(" ", text).split())


def _group() -> click.Group:
    cli_app._register_commands()
    return typer.main.get_command(cli_app.app)  # type: ignore[return-value]


@pytest.mark.parametrize("name", sorted(_group().commands))
def test_help_shows_every_help_text_whole(name: str, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    command = _group().commands[name]
    assert main([name, "--help"]) == 0
    shown = _flat(capsys.readouterr().out)
    for param in command.params:
        written = getattr(param, "help", None)
        if written:
            meant = _flat(written.replace("\\[", "["))  # \[ is how markup spells a bracket
            assert meant in shown, f"{name} {param.name}: {meant!r} not in help"


def test_heads_help_shows_the_table_name() -> None:
    assert "[[heads]]" in _flat(_group().commands["heads"].params[0].help.replace("\\[", "["))
