"""docs/architecture.md names only what exists, and its layers are the import contract's."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "optbench"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
SOURCES = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*") if p.suffix in (".py", ".cpp")}


def test_every_file_it_names_exists() -> None:
    named = set(re.findall(r"`?([\w/]+\.(?:py|cpp))`?", DOC))
    assert len(named) >= 10
    for name in named:
        if name in ("setup.sh",):
            continue
        hits = [s for s in SOURCES if s == name or s.endswith("/" + name)]
        assert hits, f"docs/architecture.md names {name}, which is not in src/optbench"


def test_every_dotted_name_it_gives_resolves() -> None:
    named = set(
        re.findall(
            r"\b((?:api|driver|verification|plan|executors|engine|report|"
            r"models|executor)\.[a-z_.A-Z]+)",
            DOC,
        )
    )
    named.discard("executor.run")  # an executor's method, said as such
    named = {n for n in named if n.rpartition(".")[2] not in ("md", "html", "toml", "sqlite")}
    assert len(named) >= 6
    for dotted in sorted(named):
        module, _, attr = dotted.rpartition(".")
        target = importlib.import_module(f"optbench.{module}")
        assert hasattr(target, attr), f"docs/architecture.md: optbench.{dotted} does not exist"


def test_the_layers_are_the_import_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    layers = [layer.replace("optbench.", "") for layer in contract["layers"]]
    drawn = re.search(r"```\ncli → (.*?)\n```", DOC, re.S).group(0)
    order = [part.strip() for part in drawn.strip("`\n").replace("\n", " ").split("→")]
    assert order == [layer.replace(" | ", " | ") for layer in layers]
