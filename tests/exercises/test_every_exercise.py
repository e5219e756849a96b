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


# Operators of a formula: in rendered emphasis or at the start of a list item, they mean a
# formula's "*", "+" or "-" was read as markdown.
FORMULA_CHARS = set("×=+/<>Σ·*−")


def _outside_code_fences(source: str) -> list[str]:
    lines, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


@pytest.mark.parametrize("slug", sorted(EXERCISES))
def test_markdown_renders_no_list_or_emphasis_born_of_a_formula(slug: str) -> None:
    """Rendered as markdown (CommonMark, as JupyterLab does), is every list item of every
    markdown cell one its source writes as an item ("- " or "1. "), none made of a formula's
    continuation line ("+ x", "* y"), and does no emphasis hold a formula's operators?"""
    import mistune

    for cell in EXERCISES[slug].notebook().cells:
        if cell.cell_type != "markdown":
            continue
        gid = cell.metadata["nbgrader"]["grade_id"]
        lines = _outside_code_fences(cell.source)
        assert not [ln for ln in lines if re.match(r"\s*[+*] ", ln)], gid
        bullets = [ln for ln in lines if re.match(r"\s*(- |\d+[.)] )", ln)]
        html = str(mistune.html(cell.source))
        assert html.count("<li>") == len(bullets), gid
        for item in re.findall(r"<li>(.*?)</li>", html, flags=re.S):
            assert not re.match(r"\s*(<p>)?\s*[×=+*/)(−]", item), (gid, item)
        for tag in ("em", "strong"):
            for inner in re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S):
                text = re.sub(r"<code>.*?</code>", "", inner)
                assert not FORMULA_CHARS & set(text), (gid, inner)
