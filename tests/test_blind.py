"""Blind courses: the gradebook knows candidates only by code, and holds a written
answer's score back until the graders the course wants have each marked it.

The hub itself is in tests/test_hub.py; these tests check the same rules on the library
and the command line, without a browser.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import pytest

from evalround import cli, nbgrader_adapter, scorecard
from evalround.assignment import assign, release_notebook
from evalround.course import GRADING_FILE, Candidate, Course, CourseError, init_course
from evalround.exercise import Exercise
from evalround.grading import GradeRecord
from evalround.hub import hub_config
from evalround.rubric import apply_items

ALICE = Candidate("alice-liddell", "Alice Liddell", "alice@example.com")


def test_init_is_blind_unless_told_not_to(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """Does `evalround init` make a blind course with one grader per answer, does
    --no-blind make one that is not, and is the choice kept once made?"""
    assert cli.main(["init", str(tmp_path / "blind")]) == 0
    assert "grading is blind (graders see codes, not candidates), 1 grader per written " \
           "answer" in capsys.readouterr().out
    blind = Course(tmp_path / "blind")
    assert (blind.blind, blind.graders_per_answer) == (True, 1)
    assert blind.student_id("alice") != "alice" and blind.student_id("alice").startswith("C-")
    assert cli.main(["init", str(tmp_path / "open"), "--no-blind",
                     "--graders-per-answer", "2"]) == 0
    opened = Course(tmp_path / "open")
    assert (opened.blind, opened.graders_per_answer) == (False, 2)
    assert opened.student_id("alice") == "alice"
    capsys.readouterr()
    # made once: a second init that says otherwise is refused, naming the file
    assert cli.main(["init", str(tmp_path / "blind"), "--no-blind"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'blind' / '.evalround' / GRADING_FILE} already says" in err
    assert "chosen once, when it is made" in err
    assert Course(tmp_path / "blind").blind


def test_a_course_made_before_blindness_stays_as_it_was(tmp_path: Path):
    """Does a course with no grading.json (made before courses chose) stay not blind,
    even when `evalround init` runs on it again with today's blind default?"""
    course = init_course(tmp_path / "old")
    (course.records / GRADING_FILE).unlink()
    init_course(tmp_path / "old", blind=True)
    assert not (course.records / GRADING_FILE).exists()
    assert (Course(tmp_path / "old").blind, Course(tmp_path / "old").graders_per_answer) == (
        False, 1)


def test_graders_per_answer_must_be_a_whole_number(tmp_path: Path):
    with pytest.raises(CourseError, match="at least 1, not 0"):
        init_course(tmp_path / "c", graders_per_answer=0)
    course = init_course(tmp_path / "d")
    (course.records / GRADING_FILE).write_text(json.dumps({"graders_per_answer": "two"}))
    with pytest.raises(CourseError, match=r"grading.json: graders_per_answer must be a whole "
                                          r"number of at least 1, not 'two'"):
        _ = course.graders_per_answer


def _graded(course: Course, template: Exercise, cids: list[str]) -> None:
    """Autograde records for ``cids`` written as `evalround grade` writes them (q1 and q2 right)."""
    nb = release_notebook(course, "template")
    for cid in cids:
        nbgrader_adapter.record_autograde(course.root, "template", course.student_id(cid),
                                          "template", {"q1": 2.0, "q2": 2.0}, nb,
                                          datetime.now(timezone.utc))
        record = GradeRecord(
            candidate=cid, exercise="template", variant_id=f"v-{cid}",
            submission_sha256="s" * 64, key_sha256="k" * 64, answers={},
            scores={"q1": 2.0, "q2": 2.0},
            max_scores={"q1": 2.0, "q2": 2.0}, failure=None, seconds=1.0, sandbox="bubblewrap",
            graded_at="2026-12-01T00:00:00+00:00")
        path = course.grade_path("template", cid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(record)))


@pytest.mark.slow
def test_a_blind_gradebook_holds_codes_and_waits_for_both_graders(
        tmp_path: Path, template: Exercise):
    """In a blind course with two graders per answer: are the gradebook's students codes
    with no name or email, does the first grader's mark stay out of the gradebook until
    the second grader's, do the reports name the candidate, and do they agree with stock
    `nbgrader export`?"""
    course = init_course(tmp_path / "course", secret=b"blind", blind=True,
                         graders_per_answer=2)
    assign(course, [template], [ALICE, Candidate("bob", "Bob Brown")], progress=False)
    _graded(course, template, [ALICE.id, "bob"])
    alice = course.student_id(ALICE.id)
    with nbgrader_adapter.gradebook(course.root) as gb:
        students = {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}
    assert students == {alice: (None, None, None),
                        course.student_id("bob"): (None, None, None)}
    assert course.autograded_dir(ALICE.id, "template") == (
        course.root / "autograded" / alice / "template")

    first = apply_items(course, template, ALICE.id, "w1", "rhea", ["w1-tail"], "Tail only.")
    assert (first.waiting, first.conflict) == (1, None)
    held = nbgrader_adapter.grade(course.root, "template", "template", alice, "w1")
    assert held is not None and (held.manual_score, held.comment) == (None, None)
    second = apply_items(course, template, ALICE.id, "w1", "sam", ["w1-tail", "w1-users"])
    assert (second.waiting, second.score) == (0, 1.5)
    held = nbgrader_adapter.grade(course.root, "template", "template", alice, "w1")
    assert held is not None and (held.manual_score, held.comment) == (1.5, "rhea: Tail only.")
    # once written, a grader's change goes straight in
    again = apply_items(course, template, ALICE.id, "w1", "rhea", [])
    assert (again.waiting, again.score) == (0, 1.0)

    report = scorecard.build_report(course, [template])
    with report.csv_path.open(newline="") as fh:
        names = {r["candidate_id"]: r["name"] for r in csv.DictReader(fh)}
    assert names == {ALICE.id: "Alice Liddell", "bob": "Bob Brown"}
    assert "Alice Liddell" in (report.html_dir / f"candidate-{ALICE.id}.html").read_text()
    totals: dict[tuple[str, str], float] = {}
    with report.long_csv_path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["candidate_id"], row["exercise"])
            totals[key] = totals.get(key, 0.0) + float(row["points"] or 0)
    out = tmp_path / "stock-export.csv"
    nbgrader_adapter.run_stock_app(course.root, ["export", "--to", str(out)])
    with out.open(newline="") as fh:
        stock = {(course.candidate_of(r["student_id"]), r["assignment"]): float(r["score"])
                 for r in csv.DictReader(fh)}
    assert totals == stock == {(ALICE.id, "template"): 5.0, ("bob", "template"): 4.0}


@pytest.mark.slow
def test_evalround_mark_says_the_gradebook_waits(tmp_path: Path, template: Exercise,
                                                 capsys: pytest.CaptureFixture[str]):
    course = init_course(tmp_path / "course", secret=b"blind", blind=True,
                         graders_per_answer=2)
    assign(course, [template], [ALICE], progress=False)
    _graded(course, template, [ALICE.id])
    assert cli.main(["mark", "--course", str(course.root), "template", ALICE.id, "w1",
                     "w1-tail", "--grader", "rhea"]) == 0
    assert capsys.readouterr().out == (f"{ALICE.id} template w1: marked; the gradebook gets "
                                       f"its score once 1 more grader marks it\n")


def test_hub_config_names_the_graders_and_the_course(tmp_path: Path):
    """Does the written jupyterhub_config.py let exactly the graders in, start each one's
    server in the course folder with the desk, and refuse what would not work?"""
    course = init_course(tmp_path / "hiring-q4")
    text = hub_config(course, ["sam", "rhea", "sam"], admins=["lee"],
                      url="http://0.0.0.0:8000")
    compile(text, "jupyterhub_config.py", "exec")
    assert "GRADERS = ['rhea', 'sam']" in text and "ADMINS = ['lee']" in text
    assert f"COURSE = {str(course.root)!r}" in text
    assert 'c.JupyterHub.authenticator_class = "pam"' in text
    assert "c.JupyterHub.load_groups = {'graders-hiring-q4': {\"users\": GRADERS}}" in text
    assert '"evalround.grading_desk=True"' in text and "JUPYTER_CONFIG_PATH" in text
    with pytest.raises(CourseError, match="name at least one grader"):
        hub_config(course, [])
    with pytest.raises(CourseError, match="hub user: grader name 'no one' is not usable"):
        hub_config(course, ["no one"])
    with pytest.raises(CourseError, match="give the address the hub listens on"):
        hub_config(course, ["rhea"], url="8000")
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text().replace("c.CourseDirectory.root", "# root"))
    with pytest.raises(CourseError, match="does not say where the course is"):
        hub_config(course, ["rhea"])


def test_hub_config_never_replaces_a_file_silently(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]):
    course = init_course(tmp_path / "c")
    out = course.root / "jupyterhub_config.py"
    out.write_text("# the team's own\n")
    assert cli.main(["hub-config", "--course", str(course.root), "--graders", "rhea"]) == 2
    assert f"{out} already exists; pass --force to replace it" in capsys.readouterr().err
    assert out.read_text() == "# the team's own\n"
    assert cli.main(["hub-config", "--course", str(course.root), "--graders", "rhea",
                     "--force"]) == 0
    assert "GRADERS = ['rhea']" in out.read_text()
