"""Crash safety: SIGKILL the grader mid-cohort, run it again, and nothing is lost or
graded twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalround import grading, nbgrader_adapter
from evalround.assignment import assign
from evalround.course import Candidate, init_course
from evalround.grading import grade, history_path, load_record, pending_path
from evalround.notebook import fill_answers
from evalround.variant import build_variant

from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow
COHORT = [f"c{i:02d}" for i in range(8)]


def _sandboxes_of(course_root) -> list[str]:
    """Live bubblewrap sandboxes whose working copy lies in this course."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "bwrap" in cmdline and str(course_root) in cmdline:
            found.append(pid)
    return found


def test_sigkill_mid_cohort_then_rerun_grades_each_submission_exactly_once(tmp_path, template):
    course = init_course(tmp_path / "course", secret=b"crash")
    assign(course, [template], [Candidate(c) for c in COHORT], progress=False)
    for cid in COHORT:
        key = build_variant(template, course.secret, cid)[2].values
        submit(course, cid, fill_answers(bundle_notebook(course, cid), template.manifest, key))
    grader = subprocess.Popen(
        [sys.executable, "-m", "evalround.cli", "-q", "grade", "--course", str(course.root),
         "--jobs", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        done = [c for c in COHORT if course.grade_path("template", c).exists()]
        if len(done) >= 2 or grader.poll() is not None:
            break
        time.sleep(0.05)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    assert grader.returncode == -signal.SIGKILL, grader.stderr.read() if grader.stderr else ""
    # A grade killed between its gradebook rows and its record waits as pending: the
    # next run finishes it (reconcile) rather than grading it again.
    first = {c for c in COHORT if course.grade_path("template", c).exists()
             or pending_path(course.grade_path("template", c)).exists()}
    assert 2 <= len(first) < len(COHORT)
    # The sandboxes the killed grader had started die with it.
    for _ in range(100):
        if not _sandboxes_of(course.root):
            break
        time.sleep(0.1)
    assert _sandboxes_of(course.root) == []

    second = grade(course, [template], jobs=2, progress=False)
    assert {r.candidate for r in second} == set(COHORT) - first
    assert grade(course, [template], jobs=2, progress=False) == []
    rows = nbgrader_adapter.grades(course.root, "template", "template")
    for cid in COHORT:
        record = load_record(course, "template", cid)
        assert record is not None and record.scores == {"q1": 2.0, "q2": 2.0}
        assert not history_path(course.grade_path("template", cid)).exists()  # graded once
        assert rows[cid]["q1"].auto_score == 2.0
        json.loads(course.grade_path("template", cid).read_text())  # never half written


def _alice_right(course, template):
    key = build_variant(template, course.secret, "alice")[2].values
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice"), template.manifest,
                                         key))


class _Killed(BaseException):
    """Stands for SIGKILL at one exact point: nothing after it runs."""


def test_a_crash_after_the_gradebook_write_is_finished_by_the_next_grade(
        course, template, monkeypatch):
    """Killed between the gradebook rows and the grade record: is the record kept as
    pending, and does the next grade commit it, without grading the submission again?"""
    _alice_right(course, template)

    def killed(path):
        raise _Killed

    monkeypatch.setattr(grading, "commit_record", killed)
    with pytest.raises(_Killed):
        grade(course, [template], progress=False)
    monkeypatch.undo()
    path = course.grade_path("template", "alice")
    assert load_record(course, "template", "alice") is None and pending_path(path).exists()
    assert nbgrader_adapter.grades(course.root, "template", "template")["alice"][
        "q1"].auto_score == 2.0

    notes: list[str] = []
    assert grade(course, [template], progress=False, notes=notes) == []  # not graded twice
    assert notes == ["alice, template: finished the grade a crash left half written "
                     "(gradebook and grade record now agree)"]
    record = load_record(course, "template", "alice")
    assert record is not None and record.scores == {"q1": 2.0, "q2": 2.0}
    assert not pending_path(path).exists() and not history_path(path).exists()


def test_a_crash_before_the_gradebook_write_leaves_neither_score_visible_then_both(
        course, template, monkeypatch):
    """Killed after the pending record, before the gradebook: no score shows anywhere,
    and the next grade writes both from the pending record."""
    _alice_right(course, template)

    def killed(*args, **kwargs):
        raise _Killed

    monkeypatch.setattr(nbgrader_adapter, "record_autograde", killed)
    with pytest.raises(_Killed):
        grade(course, [template], progress=False)
    monkeypatch.undo()
    assert "alice" not in nbgrader_adapter.grades(course.root, "template", "template")
    assert load_record(course, "template", "alice") is None

    notes: list[str] = []
    assert grade(course, [template], progress=False, notes=notes) == []
    assert len(notes) == 1 and notes[0].startswith("alice, template: finished the grade")
    assert load_record(course, "template", "alice").scores == {"q1": 2.0, "q2": 2.0}
    assert nbgrader_adapter.grades(course.root, "template", "template")["alice"][
        "q1"].auto_score == 2.0


def test_grade_rewrites_a_gradebook_score_that_differs_from_its_grade_record(course, template):
    """A gradebook left with another autograded score than the grade record says (an
    older crash, a stray write): does the next grade put the record's score back, and
    say so?"""
    import nbformat

    _alice_right(course, template)
    grade(course, [template], progress=False)
    graded = nbformat.read(course.autograded_dir("alice", "template") / "template.ipynb", 4)
    nbgrader_adapter.record_autograde(course.root, "template", "alice", "template",
                                      {"q1": 0.0, "q2": 2.0}, graded,
                                      grading._parse_stamp(""))
    notes: list[str] = []
    assert grade(course, [template], progress=False, notes=notes) == []
    assert notes == ["alice, template: gradebook scores {'q1': 0.0, 'q2': 2.0} differed from "
                     "the grade record; rewritten as {'q1': 2.0, 'q2': 2.0}"]
    assert nbgrader_adapter.grades(course.root, "template", "template")["alice"][
        "q1"].auto_score == 2.0
