"""Checks every exercise shares: what the candidate's laptop needs to run the notebook."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from evalround.bundle import REQUIREMENTS
from evalround.exercise import discover_exercises

EXERCISES = discover_exercises(Path(__file__).resolve().parents[2] / "exercises")


def _bundle_packages() -> set[str]:
    """What the bundle's requirements.txt installs, by name (their import names here)."""
    lines = [line.strip() for line in REQUIREMENTS.splitlines()]
    return {re.split(r"[<>=\[ ]", line)[0] for line in lines if line and line[0] != "#"}


@pytest.mark.parametrize("slug", sorted(EXERCISES))
def test_notebook_runs_on_python_310_with_only_the_bundle_requirements(slug: str) -> None:
    """Every code cell parses as Python 3.10 and imports only the stdlib and the bundle's
    requirements: the candidate's laptop has nothing else."""
    imported: set[str] = set()
    for cell in EXERCISES[slug].notebook().cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source, feature_version=(3, 10))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) <= _bundle_packages()
    assert "evalround" not in imported
