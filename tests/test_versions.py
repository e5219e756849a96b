"""Exercise versions: an edited exercise is never mixed silently with the old one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalround import cli
from evalround.assignment import assign, assigned_versions
from evalround.course import Candidate, CourseError, init_course
from evalround.exercise import load_exercise

REPO = Path(__file__).resolve().parents[1]


def _edited_copy(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "bank" / "_template"
    shutil.copytree(REPO / "exercises" / "_template", folder)
    return folder, folder / "generator.py"


def _edit(generator: Path) -> None:
    """An author's edit: more requests per variant."""
    text = generator.read_text()
    assert "n = 4000" in text  # the edit must change the file, or the version stays
    generator.write_text(text.replace("n = 4000", "n = 4500"))


def test_assign_refuses_an_edited_exercise_unless_told(tmp_path):
    """After an author edits the generator, is a new candidate refused with who got which
    version, and with --new-version assigned and recorded under the new version?"""
    folder, generator = _edited_copy(tmp_path)
    course = init_course(tmp_path / "course", secret=b"versions")
    old = load_exercise(folder)
    assign(course, [old], [Candidate("alice"), Candidate("bob")], progress=False)
    _edit(generator)
    new = load_exercise(folder)
    assert new.version != old.version
    with pytest.raises(CourseError) as refused:
        assign(course, [new], [Candidate("carol")], progress=False)
    message = str(refused.value)
    assert "exercise template changed since it was assigned" in message
    assert f"2 candidates (alice, bob) got version {old.version}" in message
    assert f"it is now version {new.version}" in message and "--new-version" in message
    assert not course.variant_path("template", "carol").exists()
    assign(course, [new], [Candidate("carol")], progress=False, new_version=True)
    assert assigned_versions(course, "template") == {old.version: ["alice", "bob"],
                                                     new.version: ["carol"]}


def test_the_same_version_assigns_again_without_a_word(tmp_path):
    """Does assigning more candidates an unchanged exercise need no flag?"""
    folder, _ = _edited_copy(tmp_path)
    course = init_course(tmp_path / "course", secret=b"versions")
    exercise = load_exercise(folder)
    assign(course, [exercise], [Candidate("alice")], progress=False)
    assign(course, [load_exercise(folder)], [Candidate("bob")], progress=False)
    assert assigned_versions(course, "template") == {exercise.version: ["alice", "bob"]}


def test_the_cli_names_the_flag(tmp_path, capsys):
    """Does `evalround assign` refuse with exit 2 and take --new-version?"""
    folder, generator = _edited_copy(tmp_path)
    root = tmp_path / "course"
    assert cli.main(["init", str(root)]) == 0
    csv = tmp_path / "c.csv"
    csv.write_text("candidate_id\nalice\n")
    args = ["-q", "--exercises-dir", str(folder.parent), "assign", "--course", str(root),
            "--candidates", str(csv), "--exercises", "template", "--jobs", "1"]
    assert cli.main(args) == 0
    _edit(generator)
    csv.write_text("candidate_id\nbob\n")
    assert cli.main(args) == 2
    assert "Pass --new-version" in capsys.readouterr().err
    assert cli.main([*args, "--new-version"]) == 0


@pytest.mark.slow
def test_the_report_keeps_versions_apart(tmp_path):
    """After a --new-version assignment, does scores_long.csv name each candidate's version,
    and does the cohort page say the exercise was assigned in two versions?"""
    import csv

    from evalround.grading import grade
    from evalround.notebook import fill_answers
    from evalround.scorecard import build_report

    from helpers import bundle_notebook, submit

    folder, generator = _edited_copy(tmp_path)
    course = init_course(tmp_path / "course", secret=b"versions")
    old = load_exercise(folder)
    assign(course, [old], [Candidate("alice")], progress=False)
    key = course.load_variant("template", "alice")["key"]
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice"), old.manifest, key))
    grade(course, [old], jobs=2, progress=False)  # graded before the author's edit
    _edit(generator)
    new = load_exercise(folder)
    assign(course, [new], [Candidate("carol")], progress=False, new_version=True)
    key = course.load_variant("template", "carol")["key"]
    submit(course, "carol", fill_answers(bundle_notebook(course, "carol"), new.manifest, key))
    grade(course, [new], jobs=2, progress=False)
    report = build_report(course, [new], tmp_path / "reports")
    rows = list(csv.DictReader(report.long_csv_path.open()))
    assert {(r["candidate_id"], r["exercise_version"]) for r in rows} == {
        ("alice", old.version), ("carol", new.version)}
    index = (tmp_path / "reports" / "index.html").read_text()
    assert "Exercise versions differ: <code>template</code> was assigned in 2 versions" in index
