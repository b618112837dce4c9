"""Shared fixtures: small real data (scikit-learn's digits) and study folders in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from optbench.core.specs import DatasetSpec

# The quick loop, `pytest -m "not slow"`: whole-program runs — studies started and killed in
# subprocesses, clusters, browsers, compilers, fresh interpreters timed for their imports —
# are slow by where they live; the unit tests elsewhere exercise every module. CI (and the
# README's test command) run everything.
SLOW_FOLDERS = {"e2e", "resume", "gpu"}
SLOW_FILES = {
    "test_ray_executor.py",
    "test_html_chromium.py",
    "test_startup.py",
    "test_console_script.py",
    "test_native_step.py",
    "test_reproducible.py",
    "test_markdown_renders.py",
    "test_thread_policy.py",
    "test_optim_build.py",
    "test_suite.py",
    "test_examples.py",
    "test_fuzz.py",
    "test_fuzz_cli.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if path.name in SLOW_FILES or SLOW_FOLDERS & set(path.parts):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    # Tests run tiny models: one thread is fastest and keeps results deterministic.
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits_spec() -> DatasetSpec:
    return DatasetSpec("digits")


@pytest.fixture(scope="session")
def digits(digits_spec: DatasetSpec, tmp_path_factory: pytest.TempPathFactory):
    from optbench.data import load_dataset

    return load_dataset(digits_spec, tmp_path_factory.mktemp("cache"))


# The seed study's own shape on real data: Fashion-MNIST rows (Debian's dataset-fashion-mnist),
# 12,800 training examples = 200 steps of 64, so "bit for bit" claims are tested where
# rounding has room to differ (784-128-10), not only on toy shapes. CI installs the package and
# sets OPTBENCH_REQUIRE_FASHION=1, which turns its absence into a failure instead of a skip.
SEED_TRAIN_ROWS = 200 * 64


@pytest.fixture(scope="session")
def fashion_spec() -> DatasetSpec:
    from optbench.data.fashion_mnist import DEBIAN_DIR

    if not Path(DEBIAN_DIR).is_dir():
        message = f"{DEBIAN_DIR} is missing (apt-get install dataset-fashion-mnist)"
        if os.environ.get("OPTBENCH_REQUIRE_FASHION"):
            pytest.fail(message)
        pytest.skip(message)
    return DatasetSpec("fashion-mnist", train_size=SEED_TRAIN_ROWS, test_size=2000)


@pytest.fixture(scope="session")
def fashion(fashion_spec: DatasetSpec, tmp_path_factory: pytest.TempPathFactory):
    from optbench.data import load_dataset

    return load_dataset(fashion_spec, tmp_path_factory.mktemp("cache"), allow_download=False)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    return path
