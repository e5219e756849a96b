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

from evalround import nbgrader_adapter
from evalround.assignment import assign
from evalround.course import Candidate, init_course
from evalround.grading import grade, history_path, load_record
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
    first = {c for c in COHORT if course.grade_path("template", c).exists()}
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
        assert record is not None and record.scores == {"q1": 2.0}
        assert not history_path(course.grade_path("template", cid)).exists()  # graded once
        assert rows[cid]["q1"].auto_score == 2.0
        json.loads(course.grade_path("template", cid).read_text())  # never half written
