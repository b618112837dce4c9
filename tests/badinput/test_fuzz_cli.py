"""The command-line fuzzer's targets, a small deterministic share of each (the full run of
20,000 is `python benchmarks/fuzz_cli.py`, results in benchmarks/results/fuzz.md)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import fuzz_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):
    cwd = fuzz_cli.make_sandbox(tmp_path_factory.mktemp("fuzz"))
    fuzz_cli.native_status()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        for key, value in fuzz_cli.sandbox_environment(cwd).items():
            patch.setenv(key, value)
        patch.syspath_prepend(str(cwd))
        fuzz_cli.make_finished_study()
        yield cwd


@pytest.mark.parametrize("target", list(fuzz_cli.TARGETS))
def test_cli_fuzz_target(target: str, sandbox: Path) -> None:
    assert fuzz_cli.fuzz(target, examples=60) > 0
