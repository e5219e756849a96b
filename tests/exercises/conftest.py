"""The exercises' tests: their variants, shared between the workers of one pytest-xdist run."""

from __future__ import annotations

import os

import pytest

import contract


@pytest.fixture(scope="session", autouse=True)
def _variants_shared_by_the_runs_workers(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Under xdist each worker's temporary folder is inside the run's own: the variants
    go there, for this run only (pytest removes old runs' folders)."""
    if os.environ.get("PYTEST_XDIST_TESTRUNUID"):
        contract.SHARED = tmp_path_factory.getbasetemp().parent / "exercise-variants"
