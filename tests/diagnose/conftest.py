"""Fixtures for the diagnosis tests: the suite's datasets, loaded once per session."""

from __future__ import annotations

import pytest
from diagnose_suite import Datasets


@pytest.fixture(scope="session")
def suite_data(tmp_path_factory: pytest.TempPathFactory) -> Datasets:
    return Datasets(tmp_path_factory.mktemp("diagnose-cache"))
