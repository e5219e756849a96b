"""Rubric grading: applied items make the manual score, in the gradebook and in stock nbgrader.

The template's written question w1 is worth 2 points: w1-tail (1) and w1-users (1).
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from evalround import nbgrader_adapter
from evalround.assignment import assign
from evalround.calibration import agreement, calibrate, cohen_kappa, format_calibration
from evalround.cli import main
from evalround.course import Candidate, Course, CourseError, init_course
from evalround.grading import grade
from evalround.notebook import fill_answers
from evalround.rubric import (
    Mark,
    RubricError,
    RubricItem,
    RubricStore,
    apply_items,
    blind_code,
    mark_score,
    rescore,
    set_item_points,
)
from evalround.variant import build_variant

from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory, template) -> Path:
    """alice answers everything, bob writes only w1, carol submits a blank notebook."""
    course = init_course(tmp_path_factory.mktemp("rubric") / "course", secret=b"test-secret")
    assign(course, [template], [Candidate("alice", "Alice A"), Candidate("bob"),
                                Candidate("carol")], progress=False)
    for cid, written in (("alice", "The p95 hides the tail."), ("bob", "Median is fine.")):
        values = dict(build_variant(template, course.secret, cid)[2].values)
        submit(course, cid, fill_answers(bundle_notebook(course, cid), template.manifest,
                                         values if cid == "alice" else {}, {"w1": written}))
    submit(course, "carol", bundle_notebook(course, "carol"))
    grade(course, [template], progress=False)
    return course.root


@pytest.fixture()
def graded(graded_once: Path, tmp_path: Path) -> Course:
    """A fresh copy of the graded course for each test."""
    shutil.copytree(graded_once, tmp_path / "course")
    return Course(tmp_path / "course")


def _manual(course: Course, cid: str) -> float | None:
    return nbgrader_adapter.grades(course.root, "template", "template")[cid]["w1"].manual_score


def test_mark_score_sums_applied_items_and_clips_to_the_question():
    items = [RubricItem("a", "w1", 1.0, ""), RubricItem("b", "w1", 1.5, ""),
             RubricItem("c", "w1", 0.5, "")]
    assert mark_score(items, [], 2) == 0
    assert mark_score(items, ["a", "c"], 2) == 1.5
    assert mark_score(items, ["a", "b", "c"], 2) == 2  # 3 points of items, 2 for the question
    assert mark_score(items, ["a", "a", "unknown"], 2) == 1


def test_applied_items_become_the_manual_score_and_comment(graded: Course, template):
    scored = apply_items(graded, template, "alice", "w1", "rhea", ["w1-tail"], "Tail named.")
    assert (scored.score, scored.graders, scored.conflict) == (1.0, ("rhea",), None)
    held = nbgrader_adapter.grades(graded.root, "template", "template")["alice"]["w1"]
    assert (held.manual_score, held.comment) == (1.0, "Tail named.")
    # a second grader: the gradebook holds the mean, and both comments, named
    apply_items(graded, template, "alice", "w1", "sam", ["w1-tail", "w1-users"], "Both.")
    held = nbgrader_adapter.grades(graded.root, "template", "template")["alice"]["w1"]
    assert held.manual_score == 1.5
    assert held.comment == "rhea: Tail named.\nsam: Both."
    # a grader changing their mind replaces their mark; the old one is kept in history
    apply_items(graded, template, "alice", "w1", "rhea", ["w1-tail", "w1-users"])
    assert _manual(graded, "alice") == 2.0
    history = RubricStore(graded).history("template")
    assert [(m.grader, m.items, m.comment) for m, _ in history] == [
        ("rhea", ("w1-tail",), "Tail named.")]


def test_editing_item_points_rescores_every_submission_that_used_it(graded: Course, template):
    apply_items(graded, template, "alice", "w1", "rhea", ["w1-tail", "w1-users"])
    apply_items(graded, template, "bob", "w1", "rhea", ["w1-users"])
    apply_items(graded, template, "carol", "w1", "rhea", [])
    rescored = set_item_points(graded, template, "w1-users", 0.5)
    assert sorted((s.candidate, s.score) for s in rescored) == [("alice", 1.5), ("bob", 0.5)]
    assert (_manual(graded, "alice"), _manual(graded, "bob"), _manual(graded, "carol")) == (
        1.5, 0.5, 0.0)
    with pytest.raises(RubricError, match="outside 0..2"):
        set_item_points(graded, template, "w1-users", 3)
    with pytest.raises(RubricError, match="no rubric item 'w9'"):
        set_item_points(graded, template, "w9", 1)


def test_stock_nbgrader_export_and_formgrader_api_show_the_rubric_totals(graded: Course,
                                                                          template):
    apply_items(graded, template, "alice", "w1", "rhea", ["w1-tail"])
    apply_items(graded, template, "bob", "w1", "rhea", ["w1-tail", "w1-users"])
    records = {r.candidate: r for r in grade(graded, [template], progress=False, force=False)}
    assert records == {}  # nothing to regrade; rubric scores live on
    nbgrader_adapter.run_stock_app(graded.root, ["export", "--to=grades.csv"])
    with (graded.root / "grades.csv").open() as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    # alice: q1 and q2 autograded 2 of 2 each, w1 by rubric 1 -> 5; bob: q1 and q2 0, w1 2
    # -> 2; carol: blank 0
    assert {cid: float(r["score"]) for cid, r in rows.items()} == {
        "alice": 5.0, "bob": 2.0, "carol": 0.0}
    assert {cid: float(r["max_score"]) for cid, r in rows.items()} == {
        "alice": 6.0, "bob": 6.0, "carol": 6.0}


def test_a_score_typed_into_the_formgrader_is_never_replaced_silently(graded: Course, template):
    apply_items(graded, template, "bob", "w1", "rhea", ["w1-tail"])
    nbgrader_adapter.set_manual_score(graded.root, "template", "template", "bob", "w1", 0.25)
    scored = apply_items(graded, template, "bob", "w1", "sam", ["w1-tail", "w1-users"])
    assert scored.conflict is not None and "typed into the formgrader by hand" in (
        scored.conflict)
    # nothing about the graders: neither the score typed by hand nor the rubric's mean
    assert "0.25" not in scored.conflict and "1.5" not in scored.conflict
    assert _manual(graded, "bob") == 0.25  # left as it was
    assert [m.grader for m in RubricStore(graded).marks("template", "bob")] == ["rhea", "sam"]
    assert RubricStore(graded).replaced("template") == []
    forced = rescore(graded, template, "bob", "w1", force=True, forced_by="sam")
    assert (forced.score, forced.replaced) == (1.5, True)
    assert _manual(graded, "bob") == 1.5
    # the score typed by hand is kept, not lost
    (kept,) = RubricStore(graded).replaced("template")
    assert (kept["candidate"], kept["question"], kept["score"], kept["replaced_by"]) == (
        "bob", "w1", 0.25, "sam")
    assert rescore(graded, template, "bob", "w1").replaced is False  # ours now: no conflict


def test_cli_mark_force_replaces_a_score_typed_by_hand(graded: Course, capsys):
    """Does `evalround mark` say the gradebook kept a score typed by hand (exit 1, no
    number of anyone's), and does --force replace it and keep the old one?"""
    root = str(graded.root)
    assert main(["mark", "template", "bob", "w1", "w1-tail", "--grader", "rhea",
                 "--course", root]) == 0
    nbgrader_adapter.set_manual_score(graded.root, "template", "template", "bob", "w1", 0.25)
    capsys.readouterr()
    assert main(["mark", "template", "bob", "w1", "w1-tail", "w1-users", "--grader", "sam",
                 "--course", root]) == 1
    captured = capsys.readouterr()
    assert captured.out == ("bob template w1: marks saved; the gradebook keeps the score "
                            "typed by hand\n")
    assert "typed into the formgrader by hand" in captured.err and "--force" in captured.err
    assert "0.25" not in captured.err + captured.out and "rhea" not in captured.err
    assert _manual(graded, "bob") == 0.25
    assert main(["mark", "template", "bob", "w1", "w1-tail", "w1-users", "--grader", "sam",
                 "--force", "--course", root]) == 0
    out = capsys.readouterr().out
    assert "replaced a score typed into the formgrader by hand" in out
    assert _manual(graded, "bob") == 1.5
    assert [r["score"] for r in RubricStore(graded).replaced("template")] == [0.25]


def test_bad_marks_are_refused_with_the_reason(graded: Course, template):
    with pytest.raises(RubricError, match="no rubric item w1-bogus"):
        apply_items(graded, template, "alice", "w1", "rhea", ["w1-bogus"])
    with pytest.raises(RubricError, match="no written question 'q1'"):
        apply_items(graded, template, "alice", "q1", "rhea", [])
    with pytest.raises(RubricError, match="grader name"):
        apply_items(graded, template, "alice", "w1", "../rhea", [])
    with pytest.raises(RubricError, match="never assigned"):
        apply_items(graded, template, "mallory", "w1", "rhea", [])
    assert RubricStore(graded).marks("template") == []


def test_cli_mark_rubric_and_calibrate(graded: Course, capsys):
    root = str(graded.root)
    assert main(["mark", "template", "alice", "w1", "w1-tail", "--grader", "rhea",
                 "--course", root]) == 0
    assert main(["mark", "template", "alice", "w1", "w1-tail", "w1-users", "--grader", "sam",
                 "--comment", "Both", "--course", root]) == 0
    out = capsys.readouterr().out
    assert "alice template w1: 1.5 points in the gradebook (graders: rhea, sam)" in out
    assert main(["rubric", "template", "--points", "w1-users", "0.5", "--course", root]) == 0
    out = capsys.readouterr().out
    assert "w1-users is now worth 0.5 points; rescored 1 answer\n" in out
    assert "alice w1: 1.25" in out
    assert main(["calibrate", "--course", root]) == 0
    out = capsys.readouterr().out
    code = blind_code(graded.secret, "template", "alice")
    assert f"{code}: applied by sam; not by rhea" in out
    assert "alice" not in out  # the calibration report names submissions by blind code
    assert main(["mark", "template", "alice", "w1", "nope", "--grader", "rhea",
                 "--course", root]) == 2
    assert "no rubric item nope" in capsys.readouterr().err
    assert main(["graders", "--course", root]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "rhea: 1 mark", f"  template: 1 ({code} w1)",
        "sam: 1 mark", f"  template: 1 ({code} w1)"]


# -- calibration ---------------------------------------------------------------------


def test_cohen_kappa_matches_the_textbook_example():
    # 50 answers: both yes 20, both no 15, A yes/B no 5, A no/B yes 10 -> kappa 0.4
    a = [True] * 20 + [False] * 15 + [True] * 5 + [False] * 10
    b = [True] * 20 + [False] * 15 + [False] * 5 + [True] * 10
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa([True, False], [True, False]) == pytest.approx(1.0)
    assert cohen_kappa([True, True], [True, True]) is None  # no variation: undefined
    assert cohen_kappa([], []) is None


def test_agreement_per_item_lists_disagreements_by_blind_code():
    items = {"w1": [RubricItem("x", "w1", 1, ""), RubricItem("y", "w1", 1, "")]}
    marks = [
        Mark("e", "c1", "w1", "rhea", ("x", "y")), Mark("e", "c1", "w1", "sam", ("x",)),
        Mark("e", "c2", "w1", "rhea", ()), Mark("e", "c2", "w1", "sam", ()),
        Mark("e", "c3", "w1", "rhea", ("x",)), Mark("e", "c3", "w1", "sam", ("x", "y")),
        Mark("e", "c4", "w1", "rhea", ("y",)),  # one grader only: not compared
    ]
    cal = agreement(items, marks, {"c1": "S-1", "c2": "S-2", "c3": "S-3"}, "e")
    x, y = cal.items
    assert (cal.answers, cal.graders) == (3, ("rhea", "sam"))
    assert (x.raw_agreement, x.kappa, x.disagreements) == (1.0, 1.0, ())
    assert y.raw_agreement == pytest.approx(1 / 3)
    # rhea [T, F, F], sam [F, F, T]: po 1/3, pe 5/9 -> kappa -0.5
    assert y.kappa == pytest.approx(-0.5)
    assert [(d.submission, d.applied_by, d.not_applied_by) for d in y.disagreements] == [
        ("S-1", ("rhea",), ("sam",)), ("S-3", ("sam",), ("rhea",))]
    text = format_calibration(cal)
    assert "y (w1, kappa -0.50):" in text and "S-1: applied by rhea; not by sam" in text


def test_a_kappa_on_few_answers_warns_instead_of_judging():
    """Is a perfect kappa on three answers reported as too few, not "almost perfect", and
    does ten answers give Landis and Koch's words again?"""
    items = {"w1": [RubricItem("x", "w1", 1, "")]}
    few = [Mark("e", f"c{i}", "w1", g, ("x",) if i % 2 else ()) for i in range(3)
           for g in ("rhea", "sam")]
    cal = agreement(items, few, {}, "e")
    assert cal.items[0].kappa == pytest.approx(1.0)
    text = format_calibration(cal)
    assert "too few answers to judge (3; kappa needs 10 or more)" in text
    assert "almost perfect" not in text
    assert "(warning: fewer than 10 answers;" in cal.summary()
    enough = [Mark("e", f"c{i}", "w1", g, ("x",) if i % 2 else ()) for i in range(10)
              for g in ("rhea", "sam")]
    assert "almost perfect" in format_calibration(agreement(items, enough, {}, "e"))
    assert "warning" not in agreement(items, enough, {}, "e").summary()


def test_three_graders_average_over_pairs():
    items = {"w1": [RubricItem("x", "w1", 1, "")]}
    marks = [Mark("e", f"c{i}", "w1", g, ("x",) if (g != "tom" or i == 0) else ())
             for i in range(4) for g in ("rhea", "sam", "tom")]
    (x,) = agreement(items, marks, {}, "e").items
    # rhea and sam always agree (1.0); each with tom agrees on 1 of 4 -> mean 0.5
    assert x.raw_agreement == pytest.approx((1.0 + 0.25 + 0.25) / 3)
    assert len(x.disagreements) == 3


def test_calibrate_with_no_shared_marks_says_what_to_do(graded: Course, template):
    apply_items(graded, template, "alice", "w1", "rhea", ["w1-tail"])
    assert "no written answer has been marked by two graders yet" in calibrate(
        graded, template).text()


# -- candidate feedback --------------------------------------------------------------


def test_feedback_is_off_until_the_hiring_team_turns_it_on(graded: Course, template):
    from evalround.feedback import write_feedback

    with pytest.raises(CourseError, match="candidate feedback is off"):
        write_feedback(graded, template)
    assert main(["feedback", "--course", str(graded.root)]) == 2
    assert not any((graded.root / "feedback").rglob("*.html"))


def _shows_number(page: str, value: float) -> bool:
    """Is the number on the page as a number of its own (carol's 403 is not in alice's
    403.8)?"""
    return any(re.search(rf"(?<![\d.]){re.escape(text)}(?!\.?\d)", page)
               for text in {f"{value:.6g}", repr(value)})


def test_feedback_explains_checks_and_items_from_the_candidates_own_variant_only(
        graded: Course, template, capsys):
    apply_items(graded, template, "alice", "w1", "rhea", ["w1-tail"], "Good on the tail.")
    apply_items(graded, template, "bob", "w1", "rhea", ["w1-users"])
    assert main(["feedback", "--enable", "--course", str(graded.root)]) == 0
    assert main(["feedback", "--course", str(graded.root)]) == 0
    assert "template: 3 feedback pages" in capsys.readouterr().out
    pages = {cid: " ".join((graded.root / "feedback" / cid / "template" / "template.html"
                            ).read_text().split())
             for cid in ("alice", "bob", "carol")}
    keys = {cid: graded.load_variant("template", cid)["key"] for cid in pages}
    for cid, page in pages.items():
        # every check is explained, with its variable and what it looks for
        for name in ("q1_p50_ms", "q1_p95_ms", "q1_share_over_budget", "q2_fix_first"):
            assert f"<code>{name}</code>" in page
        assert "compared with your variant&#39;s value" in page
        # no other candidate's key appears; every other variant's differing values absent
        for other, key in keys.items():
            if other == cid:
                continue
            for field, value in key.items():
                # q2's region is one of four public choices (public_domain), never a leak
                if value != keys[cid][field] and not isinstance(value, str):
                    assert not _shows_number(page, value), (cid, other, field)
    alice, bob, carol = pages["alice"], pages["bob"], pages["carol"]
    assert alice.count('class="ok">correct') == 4  # q1's three numbers and q2
    assert f"{keys['alice']['q1_p95_ms']:.0f} ms" in alice  # rubric filled with her numbers
    assert "&#10003; earned</span> (1 pt) Says the median hides the tail" in alice
    assert "&#10007; not shown</span> (1 pt) Turns the tail into users" in alice
    assert "Good on the tail." in alice
    assert bob.count('class="miss">not correct') == 4 and "no answer" in bob
    assert "not graded yet" not in carol and "0 / 2 points" in carol  # blank: nbgrader's 0
