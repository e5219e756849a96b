"""Deadlines: the due date reaches nbgrader and the bundles; late versions are flagged,
never penalised (issue 15, item 17)."""

from __future__ import annotations

import csv
import os
import zipfile
from datetime import datetime, timezone

import nbformat
import pytest

from evalround import nbgrader_adapter, scorecard
from evalround.assignment import assign
from evalround.course import Candidate, CourseError, init_course
from evalround.deadline import Deadline, is_late, parse_time
from evalround.submission import collect

from helpers import bundle_notebook

DUE = Deadline(datetime(2026, 12, 8, 16, 0, tzinfo=timezone.utc), "Europe/Berlin",
               "hiring@example.com")


def test_due_times_are_read_in_the_given_zone():
    assert parse_time("2026-12-08 17:00", "Europe/Berlin") == DUE.due
    assert parse_time("2026-12-08T16:00:00+00:00", "Europe/Berlin") == DUE.due
    assert DUE.text() == "2026-12-08 17:00 Europe/Berlin (16:00 UTC)"
    with pytest.raises(CourseError, match="unknown time zone 'Mars/Olympus'"):
        parse_time("2026-12-08 17:00", "Mars/Olympus")
    assert is_late("2026-12-08T16:00:01+00:00", DUE)
    assert not is_late("2026-12-08T16:00:00+00:00", DUE) and not is_late("", DUE)
    assert not is_late("2026-12-09T00:00:00+00:00", None)


def test_nbgrader_course_id_is_the_folder_name(tmp_path):
    init_course(tmp_path / "hiring-q4")
    assert "c.CourseDirectory.course_id = 'hiring-q4'" in (
        tmp_path / "hiring-q4" / "nbgrader_config.py").read_text()


@pytest.mark.slow
def test_due_date_reaches_the_gradebook_the_readme_and_late_flags(tmp_path, template):
    """Does the due date go into nbgrader's gradebook and each README with the contact,
    and is a version received after it flagged late on the CSV and scorecard, with the
    same points as on time?"""
    course = init_course(tmp_path / "course", secret=b"due")
    assign(course, [template], [Candidate("ann"), Candidate("bo")], progress=False,
           deadline=DUE)
    with nbgrader_adapter.gradebook(course.root) as gb:
        assert gb.find_assignment("template").duedate == datetime(2026, 12, 8, 16, 0)
    with zipfile.ZipFile(course.bundle_dir() / "ann.zip") as zf:
        readme = zf.read("ann/README.md").decode()
    assert ("**Due: 2026-12-08 17:00 Europe/Berlin (16:00 UTC).** Send your submission "
            "before then; questions go to hiring@example.com.") in readme

    outcomes = {}
    for cid, when in (("ann", datetime(2026, 12, 8, 15, 59, tzinfo=timezone.utc)),
                      ("bo", datetime(2026, 12, 8, 16, 30, tzinfo=timezone.utc))):
        folder = tmp_path / "inbox" / cid / "template"
        folder.mkdir(parents=True)
        nbformat.write(bundle_notebook(course, cid), folder / "template.ipynb")
        os.utime(folder / "template.ipynb", (when.timestamp(), when.timestamp()))
        (outcomes[cid],) = collect(course, [folder.parent])
    assert "late" not in outcomes["ann"].message
    assert ("late: received 2026-12-08 16:30 UTC, due 2026-12-08 17:00 Europe/Berlin "
            "(16:00 UTC) (no penalty)") in outcomes["bo"].message
    # grade records as `evalround grade` writes them (both blank: 0 points each)
    from evalround.execution import ExecutionResult
    from evalround.grading import finish, prepare

    for cid in ("ann", "bo"):
        job = prepare(course, template, cid)
        finish(course, job, ExecutionResult(job.notebook, {}, None, 0.1), "test")
    with nbgrader_adapter.gradebook(course.root) as gb:
        stamp = gb.find_submission("template", "bo").timestamp
    assert stamp == datetime(2026, 12, 8, 16, 30)  # nbgrader's own submission time

    report = scorecard.build_report(course, [template])
    by = {r.candidate: r for r in report.results}
    assert (by["ann"].late, by["bo"].late) == (False, True)
    assert by["bo"].received_at == "2026-12-08T16:30:00+00:00"
    assert by["ann"].total == by["bo"].total  # no penalty
    with report.long_csv_path.open() as fh:
        late = {(r["candidate_id"], r["question"]): r["late"] for r in csv.DictReader(fh)}
    assert late[("bo", "q1")] == "yes" and late[("ann", "q1")] == ""
    with report.csv_path.open() as fh:
        wide = {r["candidate_id"]: r["late"] for r in csv.DictReader(fh)}
    assert wide == {"ann": "", "bo": "template"}
    page = (report.html_dir / "candidate-bo.html").read_text()
    assert ("Late: the graded version was received 2026-12-08T16:30:00+00:00, after the due "
            "date 2026-12-08 17:00 Europe/Berlin (16:00 UTC). No penalty") in page
    ann = (report.html_dir / "candidate-ann.html").read_text()
    assert "Late: the graded version" not in ann and "<dt>late</dt>" not in ann
    assert "<dt>late</dt>" in page
    assert nbgrader_adapter.run_stock_app(course.root, ["export", "--to", "g.csv"])
    with (course.root / "g.csv").open() as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["bo"]["late_submission_penalty"]) == 0.0
