"""The CLI answers without importing torch: `import optbench`, every command's --help and the
commands that only read (`ls`, `show`, `export`, `explain`, a cached `optimizers`).

Each check runs in a fresh interpreter and reads `sys.modules` afterwards. How fast that is
lives in benchmarks/startup.py (timings are never asserted in tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optbench.cli import app as cli_app

HEAVY = ("torch", "scipy", "matplotlib", "sklearn", "tensorboard")
SYNTHETIC = Path(__file__).parents[1] / "report"

RUN = """
import contextlib, io, json, sys
sys.path.insert(0, {synthetic!r})
from optbench.cli.app import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    code = main({args!r})
print(json.dumps({{"code": code, "heavy": sorted(m for m in {heavy!r} if m in sys.modules),
                   "out": out.getvalue()}}))
"""


def run_cli(args: list[str], env: dict[str, str] | None = None) -> dict:
    code = RUN.format(synthetic=str(SYNTHETIC), args=args, heavy=HEAVY)
    full_env = {"PYTHONPATH": ":".join(sys.path), "COLUMNS": "100", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_optbench_and_the_cli_imports_nothing_heavy() -> None:
    code = (
        "import sys, optbench, optbench.cli.app, optbench.report, optbench.optim; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_api_is_still_there_on_first_use() -> None:
    code = (
        "import sys, types, optbench; f = optbench.run_study; import optbench.report.view; "
        "print('torch' in sys.modules, callable(f), optbench.__version__, "
        "isinstance(optbench.report, types.FunctionType))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    # optbench.report is the API's function, not the package of the same name
    assert done.stdout.split() == ["True", "True", "0.1.0", "True"], done.stderr


def _commands() -> list[str]:
    cli_app._register_commands()
    return sorted(c.name or c.callback.__name__ for c in cli_app.app.registered_commands)


def test_top_level_help_imports_nothing_heavy() -> None:
    result = run_cli(["--help"])
    assert result["code"] == 0 and result["heavy"] == []
    for command in _commands():
        assert command in result["out"]


@pytest.mark.parametrize("command", _commands())
def test_every_commands_help_imports_nothing_heavy(command: str) -> None:
    result = run_cli([command, "--help"])
    assert result["code"] == 0 and "Usage" in result["out"]
    assert result["heavy"] == [], f"`optbench {command} --help` imported {result['heavy']}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    sys.path.insert(0, str(SYNTHETIC))
    from synthetic import build_study

    root = tmp_path_factory.mktemp("runs")
    build_study(root / "synthetic")
    return root


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "{runs}"],
        ["show", "{runs}/synthetic"],
        ["export", "{runs}/synthetic", "--format", "json"],
        ["explain"],
        ["explain", "--example", "tiny-mlp", "--format", "latex"],
    ],
    ids=["ls", "show", "export", "explain", "explain-mlp"],
)
def test_reading_commands_import_nothing_heavy(runs: Path, args: list[str]) -> None:
    result = run_cli([a.format(runs=runs) for a in args])
    assert result["code"] == 0, result["out"]
    assert result["out"].strip()
    assert result["heavy"] == []


def test_optimizers_reads_its_cache_without_torch(tmp_path: Path) -> None:
    env = {"OPTBENCH_CACHE": str(tmp_path)}
    first = run_cli(["optimizers"], env)  # measures: needs torch
    again = run_cli(["optimizers"], env)
    assert first["code"] == again["code"] == 0
    assert "torch" in first["heavy"] and again["heavy"] == []
    assert again["out"] == first["out"]
