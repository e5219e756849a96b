"""A new version after marking: marks belong to the version they were given on (issue 15).

The template's written question w1 is worth 2 points: w1-tail (1) and w1-users (1).
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from evalround import nbgrader_adapter, scorecard
from evalround.assignment import assign
from evalround.course import Candidate, Course, init_course
from evalround.deadline import Deadline, save_deadline
from evalround.grading import grade
from evalround.notebook import fill_answers
from evalround.resubmission import changed_path
from evalround.rubric import RubricStore, apply_items
from evalround.submission import collect
from evalround.variant import build_variant

from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def marked_once(tmp_path_factory, template) -> Path:
    """alice and bob answer w1 and are graded; rhea marks both; bob also has a formgrader
    override of the autograded q1."""
    course = init_course(tmp_path_factory.mktemp("resubmit") / "course", secret=b"resubmit")
    assign(course, [template], [Candidate("alice"), Candidate("bob")], progress=False)
    for cid in ("alice", "bob"):
        values = dict(build_variant(template, course.secret, cid)[2].values)
        submit(course, cid, fill_answers(bundle_notebook(course, cid), template.manifest,
                                         values, {"w1": "The p95 hides the tail."}))
    grade(course, [template], progress=False)
    for cid in ("alice", "bob"):
        apply_items(course, template, cid, "w1", "rhea", ["w1-tail", "w1-users"], "Both.")
    return course.root


@pytest.fixture()
def resubmitted(marked_once: Path, tmp_path: Path, template) -> Course:
    """A copy where alice sends a new version after marking, and it is graded."""
    shutil.copytree(marked_once, tmp_path / "course")
    course = Course(tmp_path / "course")
    values = dict(build_variant(template, course.secret, "alice")[2].values)
    # due tomorrow; alice's new version is received the day after (late), bob's was not
    now = datetime.now(timezone.utc)
    save_deadline(course, "template", Deadline(now + timedelta(days=1), "UTC"))
    folder = tmp_path / "inbox-v2" / "alice" / "template"
    folder.mkdir(parents=True)
    nbformat.write(fill_answers(bundle_notebook(course, "alice"), template.manifest, values,
                                {"w1": "Second thoughts: the median is fine."}),
                   folder / "template.ipynb")
    (outcome,) = collect(course, [folder.parent], received=now + timedelta(days=2))
    assert outcome.status == "accepted" and "late: received" in outcome.message
    [record] = grade(course, [template], progress=False)
    assert record.candidate == "alice"
    return course


def test_marks_move_to_history_and_the_answer_is_changed_since_marked(resubmitted, template):
    """Is the old mark kept in history, not counted, and nothing deleted?"""
    course = resubmitted
    store = RubricStore(course)
    assert [m.candidate for m in store.marks("template")] == ["bob"]
    history = store.history("template")
    assert [(m.candidate, m.grader, m.items, m.comment) for m, _ in history] == [
        ("alice", "rhea", ("w1-tail", "w1-users"), "Both.")]
    held = nbgrader_adapter.grades(course.root, "template", "template")
    assert held["alice"]["w1"].manual_score is None and held["alice"]["w1"].comment is None
    assert held["bob"]["w1"].manual_score == 2.0  # bob did not resubmit: untouched
    kept = json.loads(changed_path(course, "template", "alice").read_text())
    assert kept["questions"]["w1"]["score"] == 2.0
    assert kept["questions"]["w1"]["comment"] == "Both."
    assert kept["questions"]["w1"]["graders"][0]["items"] == ["w1-tail", "w1-users"]


def test_every_report_says_changed_since_marked(resubmitted, template):
    """Do the results, CSV, leaderboard and scorecard say "changed since marked" and leave
    the old marks out of the points and the ranking?"""
    course = resubmitted
    report = scorecard.build_report(course, [template])
    alice = next(r for r in report.results if r.candidate == "alice")
    assert alice.status == "changed since marked"
    assert alice.question_status["w1"] == "changed since marked"
    assert alice.questions["w1"] is None and alice.total == 4.0  # q1 and q2 only
    with report.long_csv_path.open() as fh:
        rows = {(r["candidate_id"], r["question"]): r for r in csv.DictReader(fh)}
    assert (rows[("alice", "w1")]["points"], rows[("alice", "w1")]["status"]) == (
        "", "changed since marked")
    assert rows[("bob", "w1")]["status"] == "graded"
    board = scorecard.leaderboard(report.results)
    assert [(s.candidate, s.rank, s.status) for s in board] == [
        ("bob", 1, "graded"), ("alice", None, "changed since marked")]
    assert "changed since marked" in scorecard.format_leaderboard(board)
    page = (report.html_dir / "candidate-alice.html").read_text()
    assert "Changed since marked: a new version arrived after the written answers" in page
    assert "<dt>changed since marked</dt>" in page


def test_marking_the_new_version_makes_it_graded_again(resubmitted, template):
    course = resubmitted
    apply_items(course, template, "alice", "w1", "sam", ["w1-tail"])
    [alice] = [r for r in scorecard.collect_results(course, [template])
               if r.candidate == "alice"]
    assert (alice.status, alice.questions["w1"]) == ("graded", 1.0)
    # the checklist adds up to sam's score, and shows alice's own numbers, as her
    # feedback page does
    [sam] = alice.rubric["w1"]
    assert (sam["grader"], sam["score"]) == ("sam", 1.0)
    key = course.load_variant("template", "alice")["key"]
    assert sam["items"][0]["criterion"] == (
        f"Says the median hides the tail: p95 is {key['q1_p95_ms']:.0f} ms against a median "
        f"of {key['q1_p50_ms']:.0f} ms.")
    assert [i["earned"] for i in sam["items"]] == [True, False]
    scorecard.build_report(course, [template])
    page = (course.root / "reports" / "candidate-alice.html").read_text()
    assert f"p95 is {key['q1_p95_ms']:.0f} ms" in page and "p95 is … ms" not in page


def test_the_desk_lists_changed_answers_first(resubmitted, tmp_path):
    """On the desk's list, served by a real Jupyter server, does the changed submission
    come first (though its blind code sorts after the other's) and say so?"""
    from evalround.rubric import blind_code

    from browser import jupyter

    course = resubmitted
    codes = {cid: blind_code(course.secret, "template", cid) for cid in ("alice", "bob")}
    extra = ("--ServerApp.jpserver_extensions", "evalround.grading_desk=True")
    with jupyter(course.root, tmp_path / "server", extra=extra) as server:
        html = server.get("/evalround/desk?grader=sam").decode()
    listed = [line for line in html.splitlines() if "S-" in line and "href" in line]
    assert codes["alice"] in listed[0] and codes["bob"] in listed[1]
    row = html[html.index(codes["alice"]):html.index(codes["bob"])]
    assert "changed since marked" in row and "(w1)" in row
    assert '<span class="late">late</span>' in row
    rest = html[html.index(codes["bob"]):]
    assert "changed since marked" not in rest and '<span class="late">' not in rest
