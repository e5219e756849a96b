"""The bundle as a candidate uses it: unzipped on their machine, with nbgrader's Validate."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from evalround.notebook import fill_answers
from evalround.variant import build_variant

pytestmark = pytest.mark.slow


def _validate(folder: Path) -> str:
    """Stock `nbgrader validate`, run in the unzipped bundle as a candidate would."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", "template.ipynb"],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )
    return proc.stdout + proc.stderr


def _unzip(course, cid: str, into: Path) -> Path:
    with zipfile.ZipFile(course.bundle_dir() / f"{cid}.zip") as zf:
        zf.extractall(into)
    return into / cid / "template"


def test_validate_says_public_checks_passed_and_never_shows_a_value(course, template, tmp_path):
    key = build_variant(template, course.secret, "alice")[2].values
    folder = _unzip(course, "alice", tmp_path)
    blank = _validate(folder)
    assert "VALIDATION FAILED" in blank
    assert "q1_p50_ms is not answered yet" in blank

    nb = nbformat.read(folder / "template.ipynb", as_version=4)
    nbformat.write(fill_answers(nb, template.manifest, key, {"w1": "The tail."}),
                   folder / "template.ipynb")
    filled = _validate(folder)
    assert "Success! Your notebook passes all the tests." in filled

    # Wrong values pass the public checks too: they never compare against the key.
    wrong = {name: value + 1000.0 if isinstance(value, float) else value
             for name, value in key.items() if name != "q1_share_over_budget"}
    wrong["q1_share_over_budget"] = 0.5
    nbformat.write(fill_answers(nb, template.manifest, wrong, {"w1": "The tail."}),
                   folder / "template.ipynb")
    assert "Success!" in _validate(folder)
    for value in key.values():
        for text in (f"{value:.3f}", f"{value:.4f}", repr(value)):
            assert text not in blank and text not in filled
