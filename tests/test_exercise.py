"""Exercise folders: manifests, discovery, compiling the notebook."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from evalround.exercise import (
    EXERCISE_FILES,
    ExerciseError,
    discover_exercises,
    load_exercise,
    parse_manifest,
)
from evalround.notebook import compile_source, grade_id

REPO = Path(__file__).resolve().parents[1]


def _raw() -> dict:
    return yaml.safe_load((REPO / "exercises/_template/exercise.yaml").read_text())


def test_every_exercise_has_the_fixed_set_of_files():
    """Does every folder under exercises/ hold exactly the required files?"""
    folders = [p for p in (REPO / "exercises").iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        present = {p.name for p in folder.iterdir() if p.name != "__pycache__"}
        assert present == set(EXERCISE_FILES), f"{folder.name}: {present ^ set(EXERCISE_FILES)}"


def test_discovery_skips_the_template_and_finds_triage_eval():
    found = discover_exercises(REPO / "exercises")
    assert "triage-eval" in found
    assert "template" not in found and "_template" not in found


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda m: m.pop("title"), "'title' is a required property"),
        (lambda m: m["questions"][0].update(skill="nope"), "names skill 'nope'"),
        (lambda m: m["questions"][0].update(answers={}), "at questions/0/answers"),
        (lambda m: m["questions"].append(copy.deepcopy(m["questions"][0])), "appears twice"),
        (lambda m: m["questions"][0]["answers"]["q1_p50_ms"].update(type="complex"),
         "'complex' is not one of"),
    ],
)
def test_invalid_manifests_are_refused_with_the_reason(mutate, message):
    """Does a broken manifest fail with a message that says where and why?"""
    raw = _raw()
    mutate(raw)
    with pytest.raises(ExerciseError, match=message):
        parse_manifest(raw, "x/exercise.yaml")


def test_missing_file_is_named(tmp_path: Path):
    shutil.copytree(REPO / "exercises/_template", tmp_path / "_template")
    (tmp_path / "_template" / "rubric.yaml").unlink()
    with pytest.raises(ExerciseError, match="missing rubric.yaml"):
        load_exercise(tmp_path / "_template")


def test_compiled_test_cells_hold_public_and_hidden_checks(template):
    nb = compile_source(template.manifest, template.notebook(), "t")
    cell = next(c for c in nb.cells if grade_id(c) == "q1")
    assert 'public_check("Q1", [' in cell.source
    assert '("q1_p95_ms", globals().get("q1_p95_ms"), "float"' in cell.source
    assert "### BEGIN HIDDEN TESTS" in cell.source
    assert [grade_id(c) for c in nb.cells][:3] == ["scenario", "parameters", "public_checks"]


def test_compile_refuses_points_that_differ_from_the_manifest(template):
    nb = template.notebook()
    next(c for c in nb.cells if grade_id(c) == "q1").metadata.nbgrader.points = 5
    with pytest.raises(ExerciseError, match="worth 5 points, the manifest says 2"):
        compile_source(template.manifest, nb, "t")


def test_compile_refuses_an_answer_cell_without_none_defaults(template):
    nb = template.notebook()
    cell = next(c for c in nb.cells if grade_id(c) == "q1_answer")
    cell.source = cell.source.replace("q1_p95_ms = None", "q1_p95_ms = 0")
    with pytest.raises(ExerciseError, match="must first set q1_p95_ms = None"):
        compile_source(template.manifest, nb, "t")


def test_rubric_points_must_add_up(tmp_path: Path):
    shutil.copytree(REPO / "exercises/_template", tmp_path / "_template")
    (tmp_path / "_template/rubric.yaml").write_text(
        "w1:\n  - {id: a, points: 1, criterion: x}\n"
    )
    with pytest.raises(ExerciseError, match="add up to 1.0 points"):
        _ = load_exercise(tmp_path / "_template").rubric


def test_rubric_placeholders_must_name_answer_fields(tmp_path: Path):
    shutil.copytree(REPO / "exercises/_template", tmp_path / "_template")
    path = tmp_path / "_template/rubric.yaml"
    path.write_text(path.read_text().replace("{q1_p95_ms:.0f}", "{q1_p99_ms:.0f}"))
    with pytest.raises(ExerciseError, match="names q1_p99_ms, which is not an answer field"):
        _ = load_exercise(tmp_path / "_template").rubric

